"""Domain events through the app, with its delivery loop running (its lifespan), on each broker (in
memory, RabbitMQ, NATS JetStream): a scripted session publishes exactly its events as CloudEvents, in
commit order per entity (not across entities); rolled-back requests publish nothing; a broker outage
keeps the app ready while the events wait and are counted; and two app instances on one PostgreSQL
database publish 100 quick updates of one post in commit order."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from infrastructure.events.brokers import Broker, Received
from infrastructure.events.memory import InMemoryBroker
from tests.api.sql_apps import sql_app
from tests.brokers import BROKER_KINDS, broker_of, broker_settings
from throwaway.processes import free_port

PASSWORD = "correct horse battery"
SECRET = "a shared secret of the two instances, long enough"
FAST: dict[str, Any] = {
    "events_poll_seconds": 0.05,
    "events_retry_seconds": 0.05,
    "events_retry_max_seconds": 0.2,
}


@dataclass
class Events:
    """The app's settings for a broker, the broker to give the app (in memory: shared with the test),
    and one to subscribe through."""

    settings: dict[str, Any]
    app_broker: Broker | None
    reader: Broker


@pytest.fixture(params=["memory", *BROKER_KINDS])
def events(request: pytest.FixtureRequest) -> Iterator[Events]:
    if request.param == "memory":
        broker = InMemoryBroker()
        yield Events({"events_url": "amqp://memory.invalid/", **FAST}, broker, broker)
        return
    with broker_settings(request.param) as settings:
        yield Events({**settings, **FAST}, None, broker_of(settings))


async def take(messages: AsyncIterator[Received], count: int) -> list[dict[str, Any]]:
    """The next `count` events received, as JSON (a failed test after 20 s)."""
    taken: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while len(taken) < count:
            taken.append(orjson.loads((await anext(messages)).body))
    return taken


@asynccontextmanager
async def app_with_events(
    database_url: str, events: Events, **settings: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncIterator[Received]]]:
    """A client of the app, its delivery loop running, and the events it publishes from now on."""
    async with (
        events.reader.subscribe() as messages,
        sql_app(database_url, broker=events.app_broker, **events.settings, **settings) as app,
    ):
        yield app.client, messages


async def signed_in(client: httpx.AsyncClient, email: str) -> tuple[int, dict[str, str]]:
    user = await client.post("/users/", json={"name": "Ada", "email": email, "password": PASSWORD})
    assert user.status_code == 201, user.text
    token = await client.post("/auth/token", data={"username": email, "password": PASSWORD})
    return user.json()["id"], {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_a_session_publishes_exactly_its_events_in_order(sqlite_database: str, events: Events) -> None:
    async with app_with_events(sqlite_database, events) as (client, messages):
        user_id, auth = await signed_in(client, "ada@example.com")
        renamed = await client.patch("/users/me", json={"name": "Ada L."}, headers=auth)
        post = (await client.post("/posts/", json={"title": "Hi", "content": "First"}, headers=auth)).json()
        edit = await client.patch(f"/posts/{post['id']}", json={"title": "Hello"}, headers=auth)
        deleted = await client.delete(f"/posts/{post['id']}", headers=auth)
        gone = await client.request("DELETE", "/users/me", json={"current_password": PASSWORD}, headers=auth)
        assert [r.status_code for r in (renamed, edit, deleted, gone)] == [200, 200, 204, 204]
        received = await take(messages, 6)

    user, post_subject = f"users/{user_id}", f"posts/{post['id']}"

    def of(subject: str) -> list[dict[str, Any]]:  # order holds per entity, not across entities
        return [e for e in received if e["subject"] == subject]

    assert [e["type"] for e in of(user)] == [
        "users-posts.user.registered",
        "users-posts.user.updated",
        "users-posts.user.deleted",
    ]
    assert [e["type"] for e in of(post_subject)] == [
        "users-posts.post.created",
        "users-posts.post.updated",
        "users-posts.post.deleted",
    ]
    registered, updated = of(user)[:2]
    assert set(registered) == {
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "datacontenttype",
        "data",
    }
    assert (registered["specversion"], registered["source"], registered["datacontenttype"]) == (
        "1.0",
        "/users-posts",
        "application/json",
    )
    assert registered["time"].endswith("Z")
    assert registered["data"] == {
        "id": user_id,
        "name": "Ada",
        "created_at": registered["data"]["created_at"],
        "version": 1,
        "email": "ada@example.com",
    }
    assert updated["data"]["changed"] == ["name"]
    assert of(post_subject)[1]["data"]["title"] == "Hello"
    assert len({e["id"] for e in received}) == 6


async def test_rolled_back_requests_publish_nothing(sqlite_database: str, events: Events) -> None:
    async with app_with_events(sqlite_database, events) as (client, messages):
        _, auth = await signed_in(client, "ada@example.com")
        post = (await client.post("/posts/", json={"title": "Hi", "content": "First"}, headers=auth)).json()
        taken = await client.post(
            "/users/", json={"name": "Ada", "email": "ada@example.com", "password": PASSWORD}
        )
        stale = await client.patch(
            f"/posts/{post['id']}", json={"title": "x"}, headers={**auth, "If-Match": '"0.9"'}
        )
        invalid = await client.patch(f"/posts/{post['id']}", json={"title": ""}, headers=auth)
        assert [r.status_code for r in (taken, stale, invalid)] == [409, 412, 422]
        marker = await client.delete(f"/posts/{post['id']}", headers=auth)  # the next event published
        assert marker.status_code == 204
        received = await take(messages, 3)
    assert sorted(e["type"] for e in received) == [
        "users-posts.post.created",
        "users-posts.post.deleted",
        "users-posts.user.registered",
    ]


async def test_comments_publish_their_events_and_rolled_back_ones_nothing(
    sqlite_database: str, events: Events
) -> None:
    async with app_with_events(sqlite_database, events) as (client, messages):
        _, auth = await signed_in(client, "ada@example.com")
        post = (await client.post("/posts/", json={"title": "Hi", "content": "First"}, headers=auth)).json()
        comments = f"/posts/{post['id']}/comments"
        created = await client.post(comments, json={"body": "Nice."}, headers=auth)
        path = created.headers["location"]
        nowhere = await client.post(f"/posts/{post['id'] + 1}/comments", json={"body": "x"}, headers=auth)
        invalid = await client.post(comments, json={"body": " "}, headers=auth)
        edited = await client.patch(path, json={"body": "Nicer."}, headers=auth)
        stale = await client.patch(
            path, json={"body": "x"}, headers={**auth, "If-Match": created.headers["etag"]}
        )
        deleted = await client.delete(path, headers=auth)
        statuses = [r.status_code for r in (created, nowhere, invalid, edited, stale, deleted)]
        assert statuses == [201, 404, 422, 200, 412, 204]
        received = await take(messages, 5)

    subject = f"comments/{created.json()['id']}"
    of_comment = [e for e in received if e["subject"] == subject]
    assert [e["type"] for e in of_comment] == [
        "users-posts.comment.created",
        "users-posts.comment.updated",
        "users-posts.comment.deleted",
    ]
    assert [(e["data"]["body"], e["data"]["version"]) for e in of_comment] == [
        ("Nice.", 1),
        ("Nicer.", 2),
        ("Nicer.", 2),
    ]
    assert of_comment[0]["data"]["post_id"] == post["id"]
    assert sorted(e["type"] for e in received if e["subject"] != subject) == [
        "users-posts.post.created",
        "users-posts.user.registered",
    ]


async def test_during_a_broker_outage_the_app_stays_ready_and_the_events_wait(sqlite_database: str) -> None:
    closed_port = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    async with sql_app(sqlite_database, events_url=closed_port, **FAST) as app:
        client = app.client
        _, auth = await signed_in(client, "ada@example.com")
        created = await client.post("/posts/", json={"title": "Hi", "content": "First"}, headers=auth)
        assert created.status_code == 201
        assert (await client.get("/health/ready")).status_code == 200
        metrics = ""
        async with asyncio.timeout(10):
            # Polling the loop of the app, which counts the outbox each poll interval (50 ms here).
            while "events_pending 2.0" not in metrics or "events_broker_up 0.0" not in metrics:
                await asyncio.sleep(0.05)
                metrics = (await client.get("/metrics")).text
    assert "events_broker_outages_total" in metrics


async def test_two_instances_publish_100_quick_updates_of_one_post_in_commit_order(
    postgres_database_url: str, events: Events
) -> None:
    async with AsyncExitStack() as stack:
        messages = await stack.enter_async_context(events.reader.subscribe("post.*"))
        first, second = [
            await stack.enter_async_context(
                # One signing secret, as instances behind one load balancer have.
                sql_app(postgres_database_url, broker=events.app_broker, jwt_secret=SECRET, **events.settings)
            )
            for _ in range(2)
        ]
        _, auth = await signed_in(first.client, "ada@example.com")
        post = (await first.client.post("/posts/", json={"title": "v1", "content": "."}, headers=auth)).json()

        async def edit(client: httpx.AsyncClient, n: int) -> int:
            response = await client.patch(f"/posts/{post['id']}", json={"title": f"edit {n}"}, headers=auth)
            return response.status_code

        for tens in range(10):  # ten at a time, on both instances: their commits queue on the post's row
            statuses = await asyncio.gather(
                *(edit(first.client if n % 2 else second.client, 10 * tens + n) for n in range(10))
            )
            assert set(statuses) == {200}
        received = await take(messages, 101)

    assert [e["data"]["version"] for e in received] == list(range(1, 102))
    assert [e["type"] for e in received] == ["users-posts.post.created"] + ["users-posts.post.updated"] * 100
    assert len({e["id"] for e in received}) == 101
