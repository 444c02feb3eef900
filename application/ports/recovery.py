"""Account recovery: one-time tokens and outgoing mail."""

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


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """A plain-text message to one recipient."""

    to: str
    subject: str
    body: str


class Outbox(Protocol):
    """Mail to send, written in the unit of work of the change it announces: committed together, or
    not at all. A delivery loop sends it later (infrastructure.mail)."""

    async def add(self, mail: OutgoingMail, now: datetime) -> None: ...

    async def add_decoy(self, now: datetime) -> None:
        """The database work of `add` (a write the commit must make durable) with nothing left to
        send: for answers whose time must not tell whether a message was written."""
        ...


@dataclass(frozen=True, slots=True)
class MailMessage:
    """A message on its way out: `message_id` stays the same on every attempt to send it."""

    message_id: str
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    """Delivers one message. Raises application.errors.MailNotSent, saying whether trying again later
    may succeed (connection failures, 4xx answers) or not (5xx answers)."""

    async def send(self, message: MailMessage) -> None: ...
