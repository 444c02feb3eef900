"""Access tokens: HS256 JWTs naming a user and their credentials stamp, judged by the injected clock."""

import re
from datetime import timedelta
from typing import Any

import jwt

from application.ports.clock import Clock
from application.ports.security import IssuedToken, TokenClaims
from domain.errors import InvalidCredentials
from domain.ids import ID_MAX
from domain.sessions import SESSION_ID_LENGTH

# A user id as `sub`: canonical decimal only (no sign, space, leading zero or non-ASCII digit).
_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,9}")
TOKEN_LEEWAY_SECONDS = 10
# Tokens verified and remembered (each ~1 KiB with its claims): a client sends the same access token
# with every request of its lifetime, and verifying it again (the HMAC, the JSON, every claim) was a
# tenth of a create's CPU (docs/performance.md).
VERIFIED_TOKENS_MAX = 4096


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
        # token -> (its claims, its `exp`): only tokens that passed every check. What a token says
        # cannot change (it is signed), so its claims are as good as new until it expires, which is
        # checked on every read; whether its session and credentials stamp still stand is the caller's
        # check against the database, on every request (application.auth.CurrentUser), never cached.
        self._verified: dict[str, tuple[TokenClaims, float]] = {}

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
        known = self._verified.get(token)
        if known is not None:
            claims, expires = known
            # PyJWT's own test: expired once `exp` is more than the leeway in the past.
            if expires > self._clock.now().timestamp() - TOKEN_LEEWAY_SECONDS:
                return claims
            del self._verified[token]
        claims, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_TOKENS_MAX:
            del self._verified[next(iter(self._verified))]  # the oldest remembered
        self._verified[token] = (claims, expires)
        return claims

    def _verify(self, token: str) -> tuple[TokenClaims, float]:
        """Every check of the token, and its claims with its `exp` as a timestamp."""
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
            raise InvalidCredentials() from error
        subject, stamp, session_id = claims["sub"], claims["stamp"], claims["sid"]
        if not (isinstance(subject, str) and _CANONICAL_ID.fullmatch(subject)) or not isinstance(stamp, str):
            raise InvalidCredentials()
        if not isinstance(session_id, str) or len(session_id) > SESSION_ID_LENGTH:
            raise InvalidCredentials()
        user_id = int(subject)
        if user_id > ID_MAX:
            raise InvalidCredentials()
        return TokenClaims(user_id, stamp, session_id), float(claims["exp"])
