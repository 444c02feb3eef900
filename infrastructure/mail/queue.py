"""What the mail delivery needs from an outbox adapter, beyond the `Outbox.add` use cases call."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from infrastructure.outbox.queue import OutboxQueue


@dataclass(frozen=True, slots=True)
class QueuedMail:
    """A claimed outbox row: `attempts` counts this one."""

    id: int
    key: str
    to: str
    subject: str
    body: str
    attempts: int
    traceparent: str | None = None


MailQueue = OutboxQueue[QueuedMail]


class ExpiringTokens(Protocol):
    async def delete_expired(self, now: datetime) -> int:
        """Delete every one-time token expired at `now`; how many."""
        ...
