"""What the delivery loop needs from an outbox adapter, beyond the `Outbox.add` use cases call."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

MAIL_KEY_BYTES = 16


def new_mail_key() -> str:
    """A random key naming one outbox row everywhere (its Message-ID), 32 hex characters."""
    return secrets.token_hex(MAIL_KEY_BYTES)


class MailStatus(Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class QueuedMail:
    """A claimed outbox row: `attempts` counts this one."""

    id: int
    key: str
    to: str
    subject: str
    body: str
    attempts: int


class MailQueue(Protocol):
    """The delivery side of an outbox, used inside a unit of work of the same adapter. Claiming pushes
    the rows' next attempt to `lease_until` and commits: another deliverer (another process or
    instance) does not take them, and if this one dies before marking them they are due again after
    the lease (so a message may be sent twice, never lost)."""

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[QueuedMail]:
        """Up to `limit` pending rows due at `now`, oldest first, each with one more attempt counted.
        Rows another open transaction is claiming are skipped, not waited for."""
        ...

    async def mark_sent(self, mail_id: int, now: datetime) -> None: ...

    async def retry_at(self, mail_id: int, when: datetime, error: str) -> None:
        """Still pending, due again at `when`."""
        ...

    async def give_up(self, mail_id: int, error: str) -> None:
        """Failed for good: never claimed again."""
        ...

    async def status(self, mail_id: int) -> tuple[MailStatus, int] | None:
        """The row's status and attempts so far (for operators and tests)."""
        ...

    async def prune(self, written_before: datetime) -> int:
        """Delete the sent and failed rows written before `written_before`; how many. Pending rows stay,
        however old."""
        ...


class ExpiringTokens(Protocol):
    async def delete_expired(self, now: datetime) -> int:
        """Delete every one-time token expired at `now`; how many."""
        ...
