"""What the delivery core needs from an outbox adapter: the delivery side of its table."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol, TypeVar

KEY_BYTES = 16


def new_key() -> str:
    """A random key naming one outbox row everywhere (a mail's Message-ID, an event's id), 32 hex
    characters: the same on every attempt, unique across databases and restores."""
    return secrets.token_hex(KEY_BYTES)


class OutboxStatus(Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Claimed:
    """A claimed row, as its kind's queue hands it out (with what the kind carries): `key` names it on
    every attempt, `attempts` counts this one, `traceparent` is the trace context of the request that
    wrote it (infrastructure.outbox.trace_context)."""

    id: int
    key: str
    attempts: int
    traceparent: str | None = None


C = TypeVar("C", bound=Claimed)


class OutboxQueue(Protocol[C]):
    """The delivery side of an outbox, used inside a unit of work of the same adapter. Claiming pushes
    the rows' next attempt to `lease_until` and commits: another deliverer (another process or
    instance) does not take them, and if this one dies before marking them they are due again after
    the lease (so a message may be delivered twice, never lost)."""

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[C]:
        """Up to `limit` pending rows due at `now`, in id order, each with one more attempt counted.
        Rows another open transaction is claiming are skipped, not waited for."""
        ...

    async def mark_sent(self, row_id: int, now: datetime) -> None: ...

    async def mark_all_sent(self, row_ids: list[int], now: datetime) -> None:
        """`mark_sent` for many rows, in one statement."""
        ...

    async def retry_at(self, row_id: int, when: datetime, error: str) -> None:
        """Still pending, due again at `when`."""
        ...

    async def give_up(self, row_id: int, error: str) -> None:
        """Failed for good: never claimed again."""
        ...

    async def status(self, row_id: int) -> tuple[OutboxStatus, int] | None:
        """The row's status and attempts so far (for operators and tests)."""
        ...

    async def prune(self, written_before: datetime) -> int:
        """Delete the sent and failed rows written before `written_before`; how many. Pending rows stay,
        however old."""
        ...

    async def pending(self) -> int:
        """How many rows are pending (due or not)."""
        ...
