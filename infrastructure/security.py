"""Security adapters: argon2 password hashing (in a worker thread, so the event loop keeps serving)
and HS256 JWT access tokens."""

from datetime import timedelta

import jwt
from anyio import to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from application.ports import Clock, TokenClaims
from domain.errors import InvalidCredentials
from domain.ids import ID_MAX


class Argon2PasswordHasher:
    def __init__(self) -> None:
        self._hash = PasswordHash((Argon2Hasher(),))
        # Verified against when there is no user, so that a missing email costs the same time.
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await to_thread.run_sync(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash("dummy password, never anyone's")
            await to_thread.run_sync(self._verify, password, self._dummy_hash)
            return False
        return await to_thread.run_sync(self._verify, password, password_hash)

    def _verify(self, password: str, password_hash: str) -> bool:
        try:
            return self._hash.verify(password, password_hash)
        except Exception:  # a corrupt stored hash verifies nothing
            return False


class JwtTokenService:
    """HS256 tokens with `sub` (the user id), `stamp` (the user's credentials stamp), `iat` and `exp`."""

    ALGORITHM = "HS256"

    def __init__(self, secret: str, lifetime: timedelta, clock: Clock) -> None:
        self._secret = secret
        self._lifetime = lifetime
        self._clock = clock

    def issue(self, claims: TokenClaims) -> str:
        now = self._clock.now()
        payload = {"sub": str(claims.user_id), "stamp": claims.stamp, "iat": now, "exp": now + self._lifetime}
        return jwt.encode(payload, self._secret, algorithm=self.ALGORITHM)

    def read(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                options={"require": ["sub", "stamp", "iat", "exp"], "verify_exp": False, "verify_iat": False},
            )
            self._check_expiry(claims["exp"])
            subject = int(claims["sub"])
        except (jwt.InvalidTokenError, ValueError, TypeError) as error:
            raise InvalidCredentials("Could not validate credentials") from error
        stamp = claims["stamp"]
        if not 1 <= subject <= ID_MAX or not isinstance(stamp, str):
            raise InvalidCredentials("Could not validate credentials")
        return TokenClaims(subject, stamp)

    def _check_expiry(self, exp: object) -> None:
        # Expiry is judged by the injected clock (PyJWT would use the wall clock) so that tests and
        # the issuer agree on what "now" is.
        if not isinstance(exp, int | float) or exp <= self._clock.now().timestamp():
            raise jwt.ExpiredSignatureError("expired")
