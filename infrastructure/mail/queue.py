"""What the mail delivery needs from an outbox adapter, beyond the `Outbox.add` use cases call."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from infrastructure.outbox.queue import Claimed, OutboxQueue


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedMail(Claimed):
    """A claimed message: its key is its Message-ID's."""

    to: str
    subject: str
    body: str


MailQueue = OutboxQueue[QueuedMail]


class ExpiringTokens(Protocol):
    async def delete_expired(self, now: datetime) -> int:
        """Delete every one-time token expired at `now`; how many."""
        ...
