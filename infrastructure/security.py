"""Password hashing (argon2 via pwdlib, in a worker thread so the event loop keeps serving)."""

from anyio import to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher as _Argon2


class Argon2PasswordHasher:
    def __init__(self) -> None:
        self._hash = PasswordHash((_Argon2(),))

    async def hash(self, password: str) -> str:
        return await to_thread.run_sync(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> bool:
        return await to_thread.run_sync(self._hash.verify, password, password_hash)
