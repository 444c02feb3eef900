"""The delivery side of an outbox table in memory (infrastructure.outbox.queue.OutboxQueue), written
once for both kinds, and the domain events' outbox."""

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from application.ports.events import E, EventType
from infrastructure.events.queue import QueuedEvent, event_values
from infrastructure.memory.repository import InMemoryRepository, Staged, Staging
from infrastructure.memory.tables import TableSpec
from infrastructure.outbox import trace_context
from infrastructure.outbox.queue import OutboxStatus, new_key

C = TypeVar("C")


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRecord:
    """What every outbox row has: where it stands in its delivery. A kind's record adds its `id`, `key`
    and what it carries."""

    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None
    traceparent: str | None = None


R = TypeVar("R", bound=OutboxRecord)


class InMemoryOutboxTable(InMemoryRepository, Generic[R, C]):
    """An outbox table of the unit of work. A kind names its table (`_records = Staged(SPEC)`, of
    records with an `id` and a `key`), makes the claimed record (`claimed_row`), forgets what must not
    outlive delivery (`cleared`), and names the field whose rows are delivered one at a time in id
    order (`in_order_of`), if any. `added`: this unit of work wrote rows."""

    _records: ClassVar[Staged[Any]]
    record: ClassVar[type[Any]]
    in_order_of: ClassVar[str | None] = None

    def __init__(self, uow: Staging) -> None:
        super().__init__(uow)
        self.added = False

    def claimed_row(self, record: Any) -> C:
        """The claimed record of `record`: its delivery fields and what it `carries`."""
        delivery = {"id": record.id, "key": record.key, "attempts": record.attempts}
        claimed: C = self.record(**delivery, traceparent=record.traceparent, **self.carries(record))
        return claimed

    def carries(self, record: R) -> dict[str, Any]:
        """What the claimed record holds besides its delivery fields, by field name."""
        raise NotImplementedError

    def cleared(self, record: R) -> R:
        return record

    def _insert(self, make: Callable[..., R], now: datetime, **values: Any) -> None:
        """Write a pending row due `now`, made by `make(id, key, …, created_at=…)`."""
        row_id = self._uow.store.next_id(self._records.spec.name)
        self._records.rows[row_id] = make(
            row_id,
            new_key(),
            **values,
            created_at=now,
            next_attempt_at=now,
            traceparent=trace_context.current_traceparent(),
        )
        self.added = True

    def _set(self, row_id: int, *, cleared: bool = False, **changes: Any) -> None:
        record = self._records.rows.get(row_id)
        if record is not None:
            self._records.rows[row_id] = replace(self.cleared(record) if cleared else record, **changes)

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[C]:
        pending: list[Any] = sorted(
            (r for r in self._records.rows.values() if r.status is OutboxStatus.PENDING), key=lambda r: r.id
        )
        if self.in_order_of is not None:  # only the first pending row of each
            first: dict[Hashable, Any] = {}
            for record in pending:
                first.setdefault(getattr(record, self.in_order_of), record)
            pending = list(first.values())
        due = sorted(
            (r for r in pending if r.next_attempt_at <= now), key=lambda r: (r.next_attempt_at, r.id)
        )[:limit]
        for record in due:
            self._set(record.id, attempts=record.attempts + 1, next_attempt_at=lease_until)
        return [self.claimed_row(self._records.rows[r.id]) for r in sorted(due, key=lambda r: r.id)]

    async def mark_sent(self, row_id: int, now: datetime) -> None:
        self._set(row_id, cleared=True, status=OutboxStatus.SENT, sent_at=now, last_error=None)

    async def mark_all_sent(self, row_ids: list[int], now: datetime) -> None:
        for row_id in row_ids:
            await self.mark_sent(row_id, now)

    async def retry_at(self, row_id: int, when: datetime, error: str) -> None:
        self._set(row_id, next_attempt_at=when, last_error=error)

    async def give_up(self, row_id: int, error: str) -> None:
        self._set(row_id, cleared=True, status=OutboxStatus.FAILED, last_error=error)

    async def prune(self, written_before: datetime) -> int:
        rows = self._records.rows
        done = [
            i
            for i, r in rows.items()
            if r.status is not OutboxStatus.PENDING and r.created_at < written_before
        ]
        for row_id in done:
            del rows[row_id]
        return len(done)

    async def status(self, row_id: int) -> tuple[OutboxStatus, int] | None:
        record = self._records.rows.get(row_id)
        return (record.status, record.attempts) if record is not None else None

    async def pending(self) -> int:
        return sum(r.status is OutboxStatus.PENDING for r in self._records.rows.values())


@dataclass(frozen=True, slots=True)
class EventRecord(OutboxRecord):
    id: int
    key: str
    type: str
    subject: str
    data: str


EVENTS: TableSpec[EventRecord] = TableSpec("events")


class InMemoryEventOutbox(InMemoryOutboxTable[EventRecord, QueuedEvent]):
    """`Events` and the delivery side of the event outbox in memory: the events of one subject are
    claimed one at a time, in id order. Events are written at the time of the store's clock."""

    _records = Staged(EVENTS)
    record = QueuedEvent
    in_order_of = "subject"

    async def add(self, kind: EventType[E], entity: E, **extra: object) -> None:
        self._insert(EventRecord, self._uow.store.clock.now(), **event_values(kind, entity, extra))

    def carries(self, record: EventRecord) -> dict[str, Any]:
        return {
            "type": record.type,
            "subject": record.subject,
            "time": record.created_at,
            "data": record.data,
        }
