"""What every event broker adapter does (in memory, RabbitMQ, NATS JetStream): a published event reaches
a subscriber as a structured CloudEvent whose message id is the event's id, with the CloudEvents content
type; a subscription sees the types its pattern matches, in the order they were published; a duplicate
comes only under the same id (JetStream drops it); a broker that cannot be reached says so, as a
failure worth retrying, and the next connect after it comes back works."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
import pytest

from application.errors import EventNotPublished
from application.ports.events import CloudEvent
from infrastructure.events.brokers import Broker, Received
from infrastructure.events.envelope import CONTENT_TYPE
from infrastructure.events.jetstream import JetStreamBroker
from infrastructure.events.memory import InMemoryBroker
from infrastructure.events.rabbitmq import RabbitMqBroker
from infrastructure.outbox.queue import new_key
from throwaway.processes import free_port

TIME = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def event(kind: str = "post.created", traceparent: str | None = None, **data: object) -> CloudEvent:
    payload = {"id": 7, "title": "Hello", **data}
    return CloudEvent(
        new_key(),
        f"users-posts.{kind}",
        "/users-posts",
        "posts/7",
        TIME,
        orjson.dumps(payload).decode(),
        traceparent,
    )


async def take(messages: AsyncIterator[Received], count: int) -> list[Received]:
    taken: list[Received] = []
    async with asyncio.timeout(10):
        async for message in messages:
            taken.append(message)
            if len(taken) == count:
                break
    return taken


async def test_a_published_event_arrives_as_a_structured_cloudevent(broker: Broker) -> None:
    published = event(traceparent=TRACEPARENT)
    async with broker.subscribe() as messages:
        await broker.publish(published)
        (received,) = await take(messages, 1)

    assert orjson.loads(received.body) == {
        "specversion": "1.0",
        "id": published.id,
        "source": "/users-posts",
        "type": "users-posts.post.created",
        "subject": "posts/7",
        "time": "2026-12-01T09:30:00Z",
        "datacontenttype": "application/json",
        "data": {"id": 7, "title": "Hello"},
        "traceparent": TRACEPARENT,
    }
    assert (received.message_id, received.content_type) == (published.id, CONTENT_TYPE)
    # Persistent on RabbitMQ (delivery mode 2); a JetStream stream keeps every message it acknowledged.
    assert received.persistent is (None if isinstance(broker, JetStreamBroker) else True)


async def test_an_event_without_a_trace_has_no_traceparent(broker: Broker) -> None:
    async with broker.subscribe() as messages:
        await broker.publish(event())
        (received,) = await take(messages, 1)
    assert "traceparent" not in orjson.loads(received.body)


async def test_a_subscription_sees_the_types_it_matches_in_publish_order(broker: Broker) -> None:
    kinds = ["post.created", "user.registered", "post.updated", "post.deleted", "user.deleted"]
    async with broker.subscribe("post.*") as posts, broker.subscribe("*.deleted") as deletions:
        for number, kind in enumerate(kinds):
            await broker.publish(event(kind, n=number))
        post_events = await take(posts, 3)
        deleted_events = await take(deletions, 2)

    def types(messages: list[Received]) -> list[tuple[str, int]]:
        return [(e["type"], e["data"]["n"]) for e in map(orjson.loads, (m.body for m in messages))]

    assert types(post_events) == [
        ("users-posts.post.created", 0),
        ("users-posts.post.updated", 2),
        ("users-posts.post.deleted", 3),
    ]
    assert types(deleted_events) == [("users-posts.post.deleted", 3), ("users-posts.user.deleted", 4)]


async def test_an_event_published_twice_comes_again_only_under_its_id(broker: Broker) -> None:
    """What a retry after a lost confirmation does: JetStream drops the copy (Nats-Msg-Id); elsewhere the
    consumer sees the same id twice."""
    twice, marker = event(), event("post.deleted")
    async with broker.subscribe() as messages:
        await broker.publish(twice)
        await broker.publish(twice)
        await broker.publish(marker)
        copies = 1 if isinstance(broker, JetStreamBroker) else 2
        received = await take(messages, copies + 1)
    assert [m.message_id for m in received] == [twice.id] * copies + [marker.id]


def unreachable_like(broker: Broker) -> Broker:
    """A broker of the same kind that cannot be reached (nothing listens on its port)."""
    if isinstance(broker, RabbitMqBroker):
        return RabbitMqBroker(f"amqp://guest:guest@127.0.0.1:{free_port()}/", "unreachable", 2)
    if isinstance(broker, JetStreamBroker):
        return JetStreamBroker(f"nats://127.0.0.1:{free_port()}", "UNREACHABLE", 2)
    assert isinstance(broker, InMemoryBroker)
    broker.reachable = False
    return broker


async def test_an_unreachable_broker_is_a_failure_worth_retrying(broker: Broker) -> None:
    unreachable = unreachable_like(broker)
    for attempt in (unreachable.connect(), unreachable.publish(event())):
        with pytest.raises(EventNotPublished) as refused:
            await attempt
        assert refused.value.transient
    assert not unreachable.connected
    await unreachable.close()


async def test_publishing_after_close_connects_again(broker: Broker) -> None:
    await broker.connect()
    assert broker.connected
    await broker.close()
    assert not broker.connected
    async with broker.subscribe() as messages:
        await broker.publish(event())
        assert len(await take(messages, 1)) == 1
    assert broker.connected
