"""The delivery core of the outbox: each serving process delivers its kind's due rows to their sender.

A batch is claimed in a short transaction of its own (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so
instances never take the same rows; on SQLite one process serves), then each row is handed to the
sender and marked. A row that fails for a reason that may pass (the server down, a 4xx answer) is tried
again with exponential backoff, up to `max_attempts`; then, or at once on a permanent refusal, it is
given up with an error event and a metric. Delivery is at-least-once: a process killed between
delivering and marking delivers that row again after the claim's lease, under the same key.

Idle, the loop costs one small query per poll interval; a unit of work of this process that commits
a row wakes it at once (DeliverySignal). A kind is a subclass naming its queue, its sender and its
metrics (infrastructure.mail.delivery, infrastructure.events.delivery).

With tracing on, each attempt to send a row is a span, a child of the span that wrote the row (its
stored `traceparent`): docs/decisions/0011-delivery-spans-are-children-of-the-writer.md. The loop's own
statements (claims, marks, housekeeping) make no spans."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import ClassVar, Generic, Protocol, Self, TypeVar

from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import NoOpTracer, SpanKind, Tracer
from opentelemetry.util.types import AttributeValue
from prometheus_client import Counter, Gauge

from application.errors import NotDelivered, StorageUnavailable
from application.ports.clock import Clock
from infrastructure.outbox.queue import Claimed, OutboxQueue
from infrastructure.outbox.signal import DeliverySignal
from infrastructure.tracing.context import context_of

C = TypeVar("C", bound=Claimed)
SpanOf = tuple[str, SpanKind, dict[str, AttributeValue]]  # a send's span: name, kind, attributes


class Transaction(Protocol):
    """A unit of work, as the core uses it: a transaction to claim or mark rows in."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...


U = TypeVar("U", bound=Transaction)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    poll_seconds: float = 5.0
    batch_size: int = 20
    # How long to let rows gather before claiming a batch that would not be full: each batch costs two
    # transactions (claim, mark) whatever its size, so under a steady flow of writes waiting a little
    # turns many small batches into a few large ones. Zero: claim at once.
    linger_seconds: float = 0.0
    max_attempts: int = 10
    first_retry_seconds: float = 5.0
    max_retry_seconds: float = 900.0
    # Longer than any delivery takes (a few exchanges with the server, each within its timeout): a
    # claim is not taken over while it is being delivered, and is once its process has died.
    lease_seconds: float = 60.0
    # Delivered and failed rows are kept this long for operators, then deleted, at most once per
    # `housekeeping_seconds` per process: no job for the operator to schedule.
    keep_days: float = 30.0
    housekeeping_seconds: float = 3600.0

    def backoff(self, attempts: int) -> timedelta:
        """How long after the `attempts`-th failed attempt to try again."""
        return timedelta(seconds=min(self.first_retry_seconds * 2 ** (attempts - 1), self.max_retry_seconds))


@dataclass(frozen=True, slots=True)
class DeliveryMetrics:
    """What a kind counts: rows delivered, attempts that will be retried, rows given up; and, if it
    has one, the gauge of its pending rows."""

    sent: Counter
    retried: Counter
    given_up: Counter
    pending: Gauge | None = None


class OutboxDelivery(Generic[U, C]):
    """The loop delivering one kind of outbox row. A kind names itself (`noun`, for log lines), its
    `logger` and `metrics`, and implements `queue`, `send` and `keep_house`; it may say when its
    sender is not `ready` (nothing is claimed then, so an outage spends no attempts)."""

    noun: ClassVar[str]
    logger: ClassVar[logging.Logger]
    metrics: ClassVar[DeliveryMetrics]

    def __init__(
        self, new_uow: Callable[[], U], clock: Clock, signal: DeliverySignal, policy: DeliveryPolicy
    ) -> None:
        self._new_uow = new_uow
        self._clock = clock
        self._signal = signal
        self._policy = policy
        self._task: asyncio.Task[None] | None = None
        self._next_housekeeping: datetime | None = None
        self._next_count: datetime | None = None
        self._unmarked: list[int] = []  # delivered, to be marked with the next claim (`deliver_later`)
        self.tracer: Tracer = NoOpTracer()  # tracing's start-up hands its own

    def span_of(self, row: C) -> SpanOf:
        """The span of an attempt to send `row`: its name, kind and attributes."""
        raise NotImplementedError

    def queue(self, uow: U) -> OutboxQueue[C]:
        """The delivery side of this kind's outbox in `uow`."""
        raise NotImplementedError

    async def send(self, row: C) -> None:
        """Deliver one claimed row; NotDelivered says whether trying again may succeed."""
        raise NotImplementedError

    async def keep_house(self) -> object:
        """Delete what is no longer needed (rows delivered or failed long ago, at least)."""
        raise NotImplementedError

    async def ready(self) -> bool:
        """Whether the sender can be reached now (connecting if need be)."""
        return True

    async def deliver_due(self) -> int:
        """Claim and deliver one batch of due rows; how many were claimed. The rows delivered but not
        yet marked are marked in the same transaction, before the claim."""
        now = self._clock.now()
        lease_until = now + timedelta(seconds=self._policy.lease_seconds)
        async with self._new_uow() as uow:
            queue = self.queue(uow)
            marked = self._unmarked
            if marked:
                await queue.mark_all_sent(marked, now)
            batch = await queue.claim(now, lease_until, self._policy.batch_size)
            await uow.commit()
        self._marked(marked)
        await self.deliver(batch)
        return len(batch)

    async def mark_delivered(self) -> None:
        """Mark the rows delivered but not yet marked, now (what `stop` does last)."""
        marked = self._unmarked
        if marked:
            async with self._new_uow() as uow:
                await self.queue(uow).mark_all_sent(marked, self._clock.now())
                await uow.commit()
            self._marked(marked)

    def _marked(self, rows: list[int]) -> None:
        if rows:
            done = set(rows)
            self._unmarked = [row for row in self._unmarked if row not in done]
            self.metrics.sent.inc(len(rows))

    def deliver_later(self, rows: list[C]) -> None:
        """Count `rows` as delivered, to be marked with the next claim: a kind that delivers often saves
        a transaction per batch (a row delivered twice if the process dies first, as at-least-once
        allows)."""
        self._unmarked.extend(row.id for row in rows)

    async def deliver(self, batch: list[C]) -> None:
        """Send each row of a claimed batch, one after the other, marking each as it goes."""
        for row in batch:
            if await self._sent(row):
                await self._mark_sent([row])

    async def _sent(self, row: C) -> bool:
        """Send `row`: True when it went, False when it failed (and was rescheduled or given up)."""
        try:
            await self._send_traced(row)
        except Exception as error:
            # An unexpected error of the sender is taken as passing: bounded by max_attempts anyway.
            transient = error.transient if isinstance(error, NotDelivered) else True
            await self._failed(row, f"{error}"[:500] or type(error).__name__, transient=transient)
            return False
        return True

    async def _send_traced(self, row: C) -> None:
        """`send`, in a span that is a child of the one that wrote the row (in a context of its own: the
        loop's suppression of its own spans does not reach the sender)."""
        name, kind, attributes = self.span_of(row)
        attributes["app.outbox.attempt"] = row.attempts
        with self.tracer.start_as_current_span(
            name, context=context_of(row.traceparent), kind=kind, attributes=attributes
        ) as span:
            try:
                await self.send(row)
            except Exception as error:
                span.set_attribute("error.type", type(error).__qualname__)
                raise

    async def _mark_sent(self, rows: list[C]) -> None:
        async with self._new_uow() as uow:
            queue = self.queue(uow)
            if len(rows) == 1:
                await queue.mark_sent(rows[0].id, self._clock.now())
            else:
                await queue.mark_all_sent([row.id for row in rows], self._clock.now())
            await uow.commit()
        self.metrics.sent.inc(len(rows))

    async def _failed(self, row: C, reason: str, *, transient: bool) -> None:
        async with self._new_uow() as uow:
            queue = self.queue(uow)
            if transient and row.attempts < self._policy.max_attempts:
                retry_at = self._clock.now() + self._policy.backoff(row.attempts)
                await queue.retry_at(row.id, retry_at, reason)
                await uow.commit()
                self.metrics.retried.inc()
                self.logger.warning(
                    "%s %s: attempt %d failed (%s); trying again at %s",
                    self.noun,
                    row.id,
                    row.attempts,
                    reason,
                    retry_at.isoformat(),
                )
                return
            await queue.give_up(row.id, reason)
            await uow.commit()
        self.metrics.given_up.inc()
        self.logger.error(
            "%s %s given up after %d attempt(s): %s (%s)",
            self.noun,
            row.id,
            row.attempts,
            reason,
            "too many attempts" if transient else "refused",
        )

    async def count_pending(self) -> int:
        """How many rows wait (due or not), also set on the pending gauge if the kind has one."""
        async with self._new_uow() as uow:
            pending = await self.queue(uow).pending()
        if self.metrics.pending is not None:
            self.metrics.pending.set(pending)
        return pending

    async def _when_due(self) -> None:
        """Housekeeping, and the pending count, each when its time has come."""
        now = self._clock.now()
        if self._next_housekeeping is None or now >= self._next_housekeeping:
            self._next_housekeeping = now + timedelta(seconds=self._policy.housekeeping_seconds)
            await self.keep_house()
        if self.metrics.pending is not None and (self._next_count is None or now >= self._next_count):
            self._next_count = now + timedelta(seconds=self._policy.poll_seconds)
            await self.count_pending()

    async def run(self) -> None:
        """Deliver until cancelled: a full batch is followed at once by the next one, any other batch
        after the linger (a row waiting behind one just delivered is due now); an empty one by a wait
        for a wake-up or the poll interval, then the linger. While the sender cannot be reached,
        nothing is claimed: the loop tries again after a backoff."""
        with suppress_instrumentation():  # the loop's statements: no root trace per poll
            await self._run()

    async def _run(self) -> None:
        unreachable = 0
        while True:
            claimed = 0
            try:
                await self._when_due()
                if await self.ready():
                    unreachable = 0
                    claimed = await self.deliver_due()
                else:
                    unreachable += 1
            except StorageUnavailable as error:
                self.logger.warning(
                    "%s delivery: the database cannot be reached (%r)", self.noun, error.__cause__
                )
            except Exception:
                self.logger.exception("%s delivery failed; trying again at the next poll", self.noun)
            if unreachable:
                await asyncio.sleep(self._policy.backoff(unreachable).total_seconds())
                continue
            if not claimed:
                await self._signal.wait(self._policy.poll_seconds)
            if claimed < self._policy.batch_size and self._policy.linger_seconds:
                await asyncio.sleep(self._policy.linger_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name=f"{self.noun}-delivery")

    async def stop(self) -> None:
        """Stop the loop, then mark what it delivered. A row being delivered is delivered again after its
        lease, by whichever process claims it then."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        try:
            with suppress_instrumentation():
                await self.mark_delivered()
        except Exception:  # the database is gone: those rows are delivered again, under their keys
            self.logger.warning(
                "%s delivery: %d delivered row(s) left unmarked", self.noun, len(self._unmarked)
            )
