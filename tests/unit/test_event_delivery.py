"""The event delivery loop on the in-memory outbox and broker: due events are published as CloudEvents
once, each subject's in order; a failure is retried under the same id and given up after the last
attempt; while the broker cannot be reached nothing is claimed, however long, and the outage is logged
and counted."""

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import orjson
import pytest

from application.errors import EventNotPublished
from application.events import POST_CREATED, POST_UPDATED
from domain.posts import Post
from infrastructure.events.delivery import BROKER_OUTAGES, BROKER_UP, EVENTS_GIVEN_UP, EventDelivery
from infrastructure.events.memory import InMemoryBroker
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.outbox import trace_context
from infrastructure.outbox.delivery import DeliveryPolicy
from infrastructure.outbox.queue import OutboxStatus
from infrastructure.outbox.signal import DeliverySignal
from tests.factories import PostFactory
from tests.fakes import FixedClock

POLICY = DeliveryPolicy(poll_seconds=60, max_attempts=3, first_retry_seconds=10, max_retry_seconds=15)
SOURCE = "/users-posts-test"


@pytest.fixture
def store(clock: FixedClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def broker() -> InMemoryBroker:
    return InMemoryBroker()


def delivery_of(
    store: MemoryStore, broker: InMemoryBroker, clock: FixedClock, signal: DeliverySignal
) -> EventDelivery:
    new_uow = cast(Any, lambda: InMemoryUnitOfWork(store))
    return EventDelivery(new_uow, broker, clock, signal, POLICY, SOURCE)


@pytest.fixture
def delivery(store: MemoryStore, broker: InMemoryBroker, clock: FixedClock) -> EventDelivery:
    return delivery_of(store, broker, clock, DeliverySignal())


async def record(store: MemoryStore, *edits: tuple[int, int]) -> None:
    """One post.created, or post.updated after the first, per (post id, version), each committed alone."""
    for post_id, version in edits:
        async with InMemoryUnitOfWork(store) as uow:
            post: Post = PostFactory(id=post_id, version=version)
            await uow.events.add(POST_CREATED if version == 1 else POST_UPDATED, post)
            await uow.commit()


def minutes(clock: FixedClock, count: int) -> Iterator[int]:
    """`count` turns, the clock a minute later after each."""
    for turn in range(count):
        yield turn
        clock.advance(minutes=1)


def published(broker: InMemoryBroker) -> list[tuple[str, int]]:
    return [(event.subject, orjson.loads(event.data)["version"]) for event in broker.published]


async def test_due_events_are_published_once_as_cloudevents(
    delivery: EventDelivery, broker: InMemoryBroker, store: MemoryStore, clock: FixedClock
) -> None:
    await record(store, (7, 1))
    assert await delivery.deliver_due() == 1
    assert await delivery.deliver_due() == 0

    (event,) = broker.published
    row = store.events[1]  # marked by the second claim's transaction
    assert (event.id, event.type, event.source, event.subject) == (
        row.key,
        "users-posts.post.created",
        SOURCE,
        "posts/7",
    )
    assert event.time == clock.now()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)


async def test_each_subject_is_published_in_order_and_subjects_go_together(
    delivery: EventDelivery, broker: InMemoryBroker, store: MemoryStore
) -> None:
    await record(store, (7, 1), (8, 1), (7, 2), (7, 3), (8, 2))
    batches = []
    while claimed := await delivery.deliver_due():
        batches.append(claimed)
    assert batches == [2, 2, 1]  # one event of each subject per batch
    assert [p for p in published(broker) if p[0] == "posts/7"] == [
        ("posts/7", 1),
        ("posts/7", 2),
        ("posts/7", 3),
    ]
    assert [p for p in published(broker) if p[0] == "posts/8"] == [("posts/8", 1), ("posts/8", 2)]


async def test_a_failure_is_retried_under_the_same_id_and_holds_its_subject_back(
    delivery: EventDelivery, broker: InMemoryBroker, store: MemoryStore, clock: FixedClock
) -> None:
    await record(store, (7, 1), (7, 2))
    broker.failures = [EventNotPublished("nack", transient=True)]
    assert await delivery.deliver_due() == 1
    assert broker.published == []
    clock.advance(seconds=9)
    assert await delivery.deliver_due() == 0  # the first waits for its backoff, the second behind it
    clock.advance(seconds=1)
    assert await delivery.deliver_due() == 1
    assert await delivery.deliver_due() == 1
    assert published(broker) == [("posts/7", 1), ("posts/7", 2)]
    assert broker.published[0].id == store.events[1].key
    assert store.events[1].attempts == 2


async def test_it_gives_up_after_the_last_attempt_and_the_subject_goes_on(
    delivery: EventDelivery,
    broker: InMemoryBroker,
    store: MemoryStore,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await record(store, (7, 1), (7, 2))
    broker.failures = [EventNotPublished("refused", transient=True)] * 3
    given_up = EVENTS_GIVEN_UP._value.get()
    with caplog.at_level(logging.ERROR, logger="infrastructure.events.delivery"):
        # Three failed attempts of the first, a minute apart; then the second goes.
        assert [await delivery.deliver_due() for _ in minutes(clock, 4)] == [1, 1, 1, 1]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert [(store.events[1].status, store.events[1].attempts)] == [(OutboxStatus.FAILED, 3)]
    assert (EVENTS_GIVEN_UP._value.get() - given_up, len(errors)) == (1, 1)
    assert "event 1 given up after 3 attempt(s)" in errors[0]
    assert published(broker) == [("posts/7", 2)]


async def test_nothing_is_claimed_while_the_broker_is_unreachable(
    store: MemoryStore, broker: InMemoryBroker, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """However long the outage: no attempt is spent, the loop only tries to connect again."""
    fast = DeliveryPolicy(poll_seconds=60, max_attempts=1, first_retry_seconds=0.001, max_retry_seconds=0.001)
    delivery = EventDelivery(
        cast(Any, lambda: InMemoryUnitOfWork(store)), broker, clock, DeliverySignal(), fast, SOURCE
    )
    await record(store, (7, 1))
    broker.reachable = False
    outages = BROKER_OUTAGES._value.get()
    with caplog.at_level(logging.WARNING, logger="infrastructure.events.delivery"):
        for _ in range(5):
            assert not await delivery.ready()
        assert BROKER_UP._value.get() == 0
        broker.reachable = True
        assert await delivery.ready()
    assert await delivery.deliver_due() == 1
    await delivery.mark_delivered()
    assert (store.events[1].status, store.events[1].attempts) == (OutboxStatus.SENT, 1)  # max_attempts 1
    assert BROKER_OUTAGES._value.get() == outages + 1
    assert BROKER_UP._value.get() == 1
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert warnings[0].startswith("event broker unreachable")
    assert warnings[1].startswith("event broker reachable again after")


async def test_the_loop_waits_out_an_outage_then_publishes_when_signalled(
    store: MemoryStore, broker: InMemoryBroker, clock: FixedClock
) -> None:
    signal = DeliverySignal()
    fast = DeliveryPolicy(poll_seconds=60, first_retry_seconds=0.01, max_retry_seconds=0.01)
    delivery = EventDelivery(
        cast(Any, lambda: InMemoryUnitOfWork(store)), broker, clock, signal, fast, SOURCE
    )
    broker.reachable = False
    delivery.start()
    try:
        await record(store, (7, 1), (7, 2))
        signal.notify()
        broker.reachable = True  # and subscribed to before the loop runs again (no await in between)
        async with broker.subscribe() as messages:
            async with asyncio.timeout(5):  # the poll interval is a minute: the reconnection publishes them
                first, second = await anext(messages), await anext(messages)
    finally:
        await delivery.stop()
    assert [orjson.loads(m.body)["data"]["version"] for m in (first, second)] == [1, 2]
    assert not broker.connected  # stopping closes the connection


async def test_the_traceparent_of_the_writing_request_is_carried_to_the_broker(
    delivery: EventDelivery, broker: InMemoryBroker, store: MemoryStore
) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    trace_context.current_traceparent = lambda: traceparent
    try:
        await record(store, (7, 1))
    finally:
        trace_context.current_traceparent = trace_context.no_traceparent
    await record(store, (8, 1))
    await delivery.deliver_due()
    assert [e.traceparent for e in broker.published] == [traceparent, None]


async def test_housekeeping_deletes_old_published_events_and_keeps_pending_ones(
    delivery: EventDelivery, store: MemoryStore, clock: FixedClock
) -> None:
    await record(store, (7, 1), (8, 1))
    async with InMemoryUnitOfWork(store) as uow:
        await uow.events.mark_sent(1, clock.now())
        await uow.commit()
    clock.advance(days=31)
    assert await delivery.keep_house() == 1
    assert list(store.events) == [2]
    assert timedelta(days=POLICY.keep_days) < timedelta(days=31)
