"""Outgoing mail: the outbox use cases write to, and the Mailer that delivers."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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
