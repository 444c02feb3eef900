"""The delivery side of an outbox table on SQL (infrastructure.outbox.queue.OutboxQueue), written once
for both kinds, and the domain events' outbox. Claiming is one statement: concurrent deliverers cannot
both take a row."""

import dataclasses
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Table, exists
from sqlmodel import delete, func, select, update

from application.ports.clock import Clock
from application.ports.events import E, EventType
from infrastructure.events.queue import QueuedEvent, event_values
from infrastructure.outbox import trace_context
from infrastructure.outbox.queue import Claimed, OutboxStatus, new_key
from infrastructure.sql.driver_insert import insert_row
from infrastructure.sql.engine import UnitSession
from infrastructure.sql.mapping import aware, table_of
from infrastructure.sql.tables import OUTBOX_ERROR_MAX_LENGTH, EventOutboxRow, OutboxColumns

C = TypeVar("C")


def _fields_of(record: type[Claimed]) -> list[str]:
    return [field.name for field in dataclasses.fields(record)]


PENDING, SENT, FAILED = (status.value for status in OutboxStatus)


class SqlOutboxTable(Generic[C]):
    """An outbox table of the unit of work's session. A kind names its table (`row`), the record a
    claim returns (`record`, each field from the column of its name, or the one `claimed` names), the
    values that forget what must not outlive delivery (`cleared`), and the column whose rows are
    delivered one at a time in id order (`in_order_of`), if any. `added` tells the unit of work that
    this transaction wrote rows (to wake the loop when it commits)."""

    row: ClassVar[type[OutboxColumns]]
    record: ClassVar[type[Claimed]]
    claimed: ClassVar[dict[str, str]] = {}
    cleared: ClassVar[dict[str, Any]] = {}
    in_order_of: ClassVar[str | None] = None

    def __init__(self, session: UnitSession) -> None:
        self._session = session
        self.added = False

    @property
    def _table(self) -> Table:
        return table_of(self.row)

    def claimed_row(self, row: Any) -> C:
        claimed: C = self.record(**row._mapping)  # type: ignore[assignment]
        return claimed

    async def _insert(self, now: datetime, status: str = PENDING, **values: Any) -> str:
        """Write a row due now (pending, unless told otherwise); its key."""
        key = new_key()
        traceparent = trace_context.current_traceparent()
        row = {
            "key": key,
            "status": status,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "traceparent": traceparent,
            **values,
        }
        await insert_row(self._session, self._table, row, traced=trace_context.sampled(traceparent))
        self.added = True
        return key

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[C]:
        rows = self._table.c
        due = select(rows.id).where(rows.status == PENDING, rows.next_attempt_at <= now)
        if self.in_order_of is not None:
            earlier = self._table.alias("earlier").c
            ordered = self.in_order_of
            due = due.where(
                ~exists().where(
                    earlier[ordered] == rows[ordered], earlier.id < rows.id, earlier.status == PENDING
                )
            )
        due = (
            due.order_by(rows.next_attempt_at, rows.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's writer is alone anyway
        )
        statement = (
            update(self._table)
            .where(rows.id.in_(due.scalar_subquery()))
            .values(attempts=rows.attempts + 1, next_attempt_at=lease_until)
            .returning(*(rows[self.claimed.get(name, name)].label(name) for name in _fields_of(self.record)))
        )
        result: Any = await self._session.exec(statement)
        return [self.claimed_row(row) for row in sorted(result.all(), key=lambda row: row[0])]

    async def _set(self, row_ids: list[int], **values: Any) -> None:
        await self._session.exec(update(self._table).where(self._table.c.id.in_(row_ids)).values(values))

    async def mark_sent(self, row_id: int, now: datetime) -> None:
        await self.mark_all_sent([row_id], now)

    async def mark_all_sent(self, row_ids: list[int], now: datetime) -> None:
        await self._set(row_ids, status=SENT, sent_at=now, last_error=None, **self.cleared)

    async def retry_at(self, row_id: int, when: datetime, error: str) -> None:
        await self._set([row_id], next_attempt_at=when, last_error=error[:OUTBOX_ERROR_MAX_LENGTH])

    async def give_up(self, row_id: int, error: str) -> None:
        await self._set([row_id], status=FAILED, last_error=error[:OUTBOX_ERROR_MAX_LENGTH], **self.cleared)

    async def prune(self, written_before: datetime) -> int:
        rows = self._table.c
        result = await self._session.exec(
            delete(self._table).where(rows.status.in_((SENT, FAILED)), rows.created_at < written_before)
        )
        return int(result.rowcount)

    async def status(self, row_id: int) -> tuple[OutboxStatus, int] | None:
        rows = self._table.c
        result: Any = await self._session.exec(select(rows.status, rows.attempts).where(rows.id == row_id))
        row = result.first()
        return (OutboxStatus(row.status), row.attempts) if row is not None else None

    async def pending(self) -> int:
        rows = self._table.c
        result: Any = await self._session.exec(select(func.count()).where(rows.status == PENDING))
        return int(result.one())


class SqlEventOutbox(SqlOutboxTable[QueuedEvent]):
    """`Events` for use cases, and the delivery side of `event_outbox`: the events of one subject are
    claimed one at a time, in id order."""

    row = EventOutboxRow
    record = QueuedEvent
    claimed: ClassVar[dict[str, str]] = {"time": "created_at"}
    in_order_of = "subject"

    def __init__(self, session: UnitSession, clock: Clock) -> None:
        super().__init__(session)
        self._clock = clock

    async def add(self, kind: EventType[E], entity: E, **extra: object) -> None:
        await self._insert(self._clock.now(), **event_values(kind, entity, extra))

    def claimed_row(self, row: Any) -> QueuedEvent:
        return QueuedEvent(**{**row._mapping, "time": aware(row.time)})  # SQLite's are naive
