"""One-time tokens (password reset, email verification): the rules, whatever stores them.

A token is 256 random bits from `secrets`, mailed once and stored only as its SHA-256 hash, with its
user, purpose, the address it went to and an expiry. Redeeming it removes it (single use); issuing a new
one of the same purpose ends the user's earlier ones, and so does a password change (for resets)."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports.recovery import OneTimeToken, TokenPurpose
from application.ports.units_of_work import UnitOfWork
from domain.errors import DomainError
from domain.users import User

TOKEN_BYTES = 32  # 256 bits
# What `secrets.token_urlsafe(TOKEN_BYTES)` makes: 43 characters of the URL-safe base64 alphabet.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


class InvalidToken(DomainError, message="The link is invalid or has expired; ask for a new one"):
    """A token that is used, expired, ended, unknown or malformed: all look the same to the caller."""


def hash_token(token: str) -> str:
    """The SHA-256 of a token, hex: what is stored and looked up (a 256-bit random token needs no
    salt or slow hash: it cannot be guessed, only stolen, and the hash is useless to a thief)."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return _TOKEN_RE.fullmatch(token) is not None


@dataclass(frozen=True, slots=True)
class OneTimeTokens:
    """Issues and redeems one-time tokens in the caller's unit of work. Lifetimes per purpose."""

    password_reset_lifetime: timedelta = timedelta(minutes=30)
    email_verification_lifetime: timedelta = timedelta(hours=24)

    def lifetime(self, purpose: TokenPurpose) -> timedelta:
        if purpose is TokenPurpose.PASSWORD_RESET:
            return self.password_reset_lifetime
        return self.email_verification_lifetime

    async def issue(self, uow: UnitOfWork, user: User, purpose: TokenPurpose, now: datetime) -> str:
        """A new token for `user` (to mail, never to store), ending their earlier ones of `purpose`."""
        assert user.id is not None
        await uow.tokens.revoke(user.id, purpose)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires_at = now + self.lifetime(purpose)
        await uow.tokens.add(OneTimeToken(hash_token(token), user.id, purpose, user.email.value, expires_at))
        return token

    async def check(self, uow: UnitOfWork, token: str, purpose: TokenPurpose, now: datetime) -> None:
        """InvalidToken unless `token` is live for `purpose` right now; redeems nothing."""
        if not well_formed(token) or await uow.tokens.find(hash_token(token), purpose, now) is None:
            raise InvalidToken()

    async def redeem(self, uow: UnitOfWork, token: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken:
        """Use `token` up (in the caller's unit of work: rolled back, it stays usable) and return what
        it was issued for; InvalidToken if it is not live."""
        if not well_formed(token):
            raise InvalidToken()
        redeemed = await uow.tokens.consume(hash_token(token), purpose, now)
        if redeemed is None:
            raise InvalidToken()
        return redeemed
