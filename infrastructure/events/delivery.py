"""Domain events through the outbox's delivery core (infrastructure.outbox.delivery): each serving
process publishes the due rows of `event_outbox` as CloudEvents through the EventPublisher.

Order: the rows of one subject (`posts/7`) are claimed one at a time in id order, which is their
commit order (a change locks its entity's row before writing its event), and the next is claimed only
once the one before it is marked published (or given up). A batch therefore holds at most one event of
each subject: its events are published at once, and marked in one statement, in the transaction that
claims the next batch.

While the broker cannot be reached nothing is claimed (no attempt is spent, however long the outage):
the loop tries to connect again after a backoff, logs the outage when it starts and ends, and measures
it. Readiness does not depend on the broker: the outbox holds the events meanwhile."""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from application.errors import EventNotPublished
from application.ports.clock import Clock
from application.ports.events import CloudEvent, EventPublisher
from infrastructure.events.queue import EventQueue, QueuedEvent
from infrastructure.outbox.delivery import (
    DeliveryMetrics,
    DeliveryPolicy,
    OutboxDelivery,
    SpanOf,
    Transaction,
)
from infrastructure.outbox.signal import DeliverySignal

logger = logging.getLogger(__name__)

EVENTS_PUBLISHED = Counter("events_published", "Events of the outbox published (confirmed by the broker)")
EVENTS_RETRIED = Counter("events_retried", "Attempts to publish an event that failed and will be tried again")
EVENTS_GIVEN_UP = Counter("events_given_up", "Events of the outbox given up after too many attempts")
EVENTS_PENDING = Gauge(
    "events_pending", "Events of the outbox waiting to be published", multiprocess_mode="mostrecent"
)
BROKER_UP = Gauge(
    "events_broker_up",
    "1 while the event broker can be reached, 0 during an outage",
    multiprocess_mode="livemin",
)
BROKER_OUTAGES = Counter("events_broker_outages", "Times the event broker stopped answering")
BROKER_OUTAGE_SECONDS = Counter("events_broker_outage_seconds", "Time spent without the event broker")


class EventUnitOfWork(Transaction, Protocol):
    @property
    def events(self) -> EventQueue: ...


class EventDelivery(OutboxDelivery[EventUnitOfWork, QueuedEvent]):
    noun = "event"
    logger = logger
    metrics = DeliveryMetrics(EVENTS_PUBLISHED, EVENTS_RETRIED, EVENTS_GIVEN_UP, EVENTS_PENDING)

    def __init__(
        self,
        new_uow: Callable[[], EventUnitOfWork],
        publisher: EventPublisher,
        clock: Clock,
        signal: DeliverySignal,
        policy: DeliveryPolicy,
        source: str,
    ) -> None:
        super().__init__(new_uow, clock, signal, policy)
        self._publisher = publisher
        self._source = source
        self._outage_since: float | None = None

    def queue(self, uow: EventUnitOfWork) -> EventQueue:
        return uow.events

    def cloud_event(self, row: QueuedEvent) -> CloudEvent:
        return CloudEvent(row.key, row.type, self._source, row.subject, row.time, row.data, row.traceparent)

    def span_of(self, row: QueuedEvent) -> SpanOf:
        """A publish span (the semantic conventions' messaging and CloudEvents attributes)."""
        return (
            f"publish {row.type}",
            SpanKind.PRODUCER,
            {
                # The brokers name themselves (rabbitmq, nats); a publisher that does not, "unknown".
                "messaging.system": getattr(self._publisher, "messaging_system", "unknown"),
                "messaging.operation.type": "send",
                "messaging.destination.name": row.type,
                "messaging.message.id": row.key,
                "cloudevents.event_id": row.key,
                "cloudevents.event_source": self._source,
                "cloudevents.event_type": row.type,
                "cloudevents.event_subject": row.subject,
            },
        )

    async def send(self, row: QueuedEvent) -> None:
        await self._publisher.publish(self.cloud_event(row))

    async def deliver(self, batch: list[QueuedEvent]) -> None:
        """Publish the batch at once (one event per subject at most); what went is marked with the next
        claim, which the next event of a subject waits for."""
        went = await asyncio.gather(*(self._sent(row) for row in batch))
        self.deliver_later([row for row, sent in zip(batch, went, strict=True) if sent])

    async def ready(self) -> bool:
        try:
            await self._publisher.connect()
        except EventNotPublished as error:
            if self._outage_since is None:
                self._outage_since = time.monotonic()
                BROKER_OUTAGES.inc()
                logger.warning("event broker unreachable (%s): events wait in the outbox", error)
            BROKER_UP.set(0)
            return False
        if self._outage_since is not None:
            lasted = time.monotonic() - self._outage_since
            self._outage_since = None
            BROKER_OUTAGE_SECONDS.inc(lasted)
            logger.warning("event broker reachable again after %.1f s", lasted)
        BROKER_UP.set(1)
        return True

    async def keep_house(self) -> int:
        """Delete the published or given-up events older than `keep_days`; how many."""
        async with self._new_uow() as uow:
            pruned = await uow.events.prune(self._clock.now() - timedelta(days=self._policy.keep_days))
            await uow.commit()
        if pruned:
            logger.info("housekeeping: %d old event(s) deleted", pruned)
        return pruned

    async def stop(self) -> None:
        await super().stop()
        await self._publisher.close()
