"""Security adapters: argon2id password hashing (in worker threads, a bounded number at once, so the
event loop keeps serving and memory stays bounded) and HS256 JWT access tokens."""

import asyncio
import contextlib
import functools
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from application.errors import Overloaded
from application.ports import Clock, IssuedToken, TokenClaims
from domain.errors import InvalidCredentials
from domain.ids import ID_MAX
from domain.sessions import SESSION_ID_LENGTH

T = TypeVar("T")

# OWASP Password Storage Cheat Sheet, argon2id: "m=19456 (19 MiB), t=2, p=1" is its first listed
# configuration. Of its equivalent options it needs the least memory per hash, which is what bounds a
# flood of logins (N hashes at once cost N times 19 MiB). Hashes stored with other parameters (pwdlib's
# former defaults: m=65536, t=3, p=4) carry them in their encoding and keep verifying.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_COST_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
DEFAULT_HASH_QUEUE = 64
RETRY_AFTER_BUSY_SECONDS = 1
# Hashing threads run at the lowest CPU priority: a flood of logins takes the CPU the requests leave
# idle, and the event loop (reads, everything else) still gets a core the moment it needs one.
HASHING_THREAD_NICENESS = 19


def _lower_this_threads_priority() -> None:
    # On Linux a thread is a task of its own: setpriority on its native id renices only this thread.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_THREAD_NICENESS)


class Argon2PasswordHasher:
    """At most `concurrency` hashes run at once, in a pool of low-priority threads of its own; up to
    `queue` more wait their turn; beyond that Overloaded is raised before any work starts."""

    def __init__(self, concurrency: int | None = None, queue: int = DEFAULT_HASH_QUEUE) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=ARGON2_TIME_COST,
                    memory_cost=ARGON2_MEMORY_COST_KIB,
                    parallelism=ARGON2_PARALLELISM,
                ),
            )
        )
        self.concurrency = concurrency or os.cpu_count() or 1
        self.capacity = self.concurrency + queue
        self.in_flight = 0  # running or waiting; touched only on the event loop
        self._pool: ThreadPoolExecutor | None = None  # made at first use: nothing starts at import
        # Verified against when there is no user, so that a missing email costs the same time.
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await self._run(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash("dummy password, never anyone's")
            await self._run(self._verify, password, self._dummy_hash)
            return False
        return await self._run(self._verify, password, password_hash)

    def _verify(self, password: str, password_hash: str) -> bool:
        try:
            return self._hash.verify(password, password_hash)
        except Exception:  # a corrupt stored hash verifies nothing
            return False

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        if self.in_flight >= self.capacity:
            raise Overloaded(
                "The server is busy checking passwords; try again shortly", RETRY_AFTER_BUSY_SECONDS
            )
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.concurrency, thread_name_prefix="argon2", initializer=_lower_this_threads_priority
            )
        self.in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, functools.partial(work, *args))
        finally:
            self.in_flight -= 1


# A user id as `sub`: canonical decimal only (no sign, space, leading zero or non-ASCII digit).
_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,9}")
TOKEN_LEEWAY_SECONDS = 10


class _ClockedJWT(jwt.PyJWT):
    """PyJWT judging `exp` and `iat` by the injected clock instead of the wall clock, so that the issuer,
    the reader and the tests agree on what "now" is. PyJWT still does the validation itself (types,
    NaN and infinity refused, leeway)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock

    def _validate_iat(self, payload: dict[str, Any], now: float, leeway: float) -> None:
        super()._validate_iat(payload, self._clock.now().timestamp(), leeway)

    def _validate_exp(self, payload: dict[str, Any], now: float, leeway: float) -> None:
        super()._validate_exp(payload, self._clock.now().timestamp(), leeway)


class JwtTokenService:
    """HS256 tokens with `sub` (the user id), `stamp` (the user's credentials stamp), `sid` (the
    session), `iss`, `aud`, `iat` and `exp`, every one required and checked."""

    ALGORITHM = "HS256"
    REQUIRED = ("sub", "stamp", "sid", "iss", "aud", "iat", "exp")

    def __init__(
        self,
        secret: str,
        lifetime: timedelta,
        clock: Clock,
        issuer: str = "users-posts",
        audience: str = "users-posts",
    ) -> None:
        self._secret = secret
        self._lifetime = lifetime
        self._clock = clock
        self._issuer = issuer
        self._audience = audience
        self._jwt = _ClockedJWT(clock)

    def issue(self, claims: TokenClaims) -> IssuedToken:
        now = self._clock.now()
        payload = {
            "sub": str(claims.user_id),
            "stamp": claims.stamp,
            "sid": claims.session_id,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + self._lifetime,
        }
        token = jwt.encode(payload, self._secret, algorithm=self.ALGORITHM)
        return IssuedToken(token, int(self._lifetime.total_seconds()))

    def read(self, token: str) -> TokenClaims:
        try:
            claims = self._jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                leeway=TOKEN_LEEWAY_SECONDS,
                options={"require": list(self.REQUIRED), "strict_aud": True},
            )
        except jwt.InvalidTokenError as error:
            raise InvalidCredentials("Could not validate credentials") from error
        subject, stamp, session_id = claims["sub"], claims["stamp"], claims["sid"]
        if not (isinstance(subject, str) and _CANONICAL_ID.fullmatch(subject)) or not isinstance(stamp, str):
            raise InvalidCredentials("Could not validate credentials")
        if not isinstance(session_id, str) or len(session_id) > SESSION_ID_LENGTH:
            raise InvalidCredentials("Could not validate credentials")
        user_id = int(subject)
        if user_id > ID_MAX:
            raise InvalidCredentials("Could not validate credentials")
        return TokenClaims(user_id, stamp, session_id)
