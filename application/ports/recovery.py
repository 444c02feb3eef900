"""One-time tokens: what a password-reset or email-verification link carries, stored as a hash."""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol


class TokenPurpose(Enum):
    """What a one-time token may be redeemed for; a token of one purpose never serves another."""

    PASSWORD_RESET = "password-reset"
    EMAIL_VERIFICATION = "email-verification"


@dataclass(frozen=True, slots=True)
class OneTimeToken:
    """A stored one-time token: only the SHA-256 hash of what was mailed, whose it is, what for, until
    when, and the address it was sent to (a verification proves that address, not a later one)."""

    token_hash: str
    user_id: int
    purpose: TokenPurpose
    email: str
    expires_at: datetime


class OneTimeTokenStore(Protocol):
    """One-time tokens, looked up by hash. Adapters must make `consume` a single conditional write: of
    two callers redeeming one token, one gets it."""

    async def add(self, token: OneTimeToken) -> None: ...

    async def find(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        """The live (unexpired) token with this hash and purpose, or None; nothing changes."""
        ...

    async def consume(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        """Remove and return the live token with this hash and purpose; None if there is none (used,
        expired, ended or never issued)."""
        ...

    async def revoke(self, user_id: int, purpose: TokenPurpose) -> None:
        """End every token of the user for this purpose."""
        ...
