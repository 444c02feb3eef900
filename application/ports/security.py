"""Passwords and access tokens."""

from dataclasses import dataclass
from typing import Protocol


class PasswordHasher(Protocol):
    """Hashes and verifies passwords; adapters keep slow hashing off the event loop and bounded: beyond
    their queue they raise application.errors.Overloaded instead of starting the work."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """Whether `password` matches `password_hash`. With None (no such user) it takes as long as a
        real verification and returns False, so timing does not tell which emails exist."""
        ...


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Who a token names, the credentials stamp of that user when it was issued, and the session
    (`sid`) it belongs to."""

    user_id: int
    stamp: str
    session_id: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An access token and how many seconds it stays valid."""

    access_token: str
    expires_in: int


class TokenService(Protocol):
    """Issues and reads access tokens."""

    def issue(self, claims: TokenClaims) -> IssuedToken: ...

    def read(self, token: str) -> TokenClaims:
        """The claims of a valid token; InvalidCredentials if it is malformed, forged or expired."""
        ...
