"""Request ids, access and error events, and metrics, through the app in process."""

import asyncio
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from prometheus_client import REGISTRY
from sqlmodel import select

import api.observability.batches
from api.observability.logs import formatter
from api.observability.requests import Observing, RequestObserver
from infrastructure.container import Container
from infrastructure.security.passwords import HASHING_IN_PROGRESS, MeasuredPasswordHasher
from infrastructure.settings import Settings
from infrastructure.sql.tables import UserRow
from tests.api.problems import assert_problem
from tests.api.sql_apps import sql_app
from tests.fakes import FakeHasher


@pytest.fixture
def json_log() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The app's records at INFO and above, rendered by the JSON formatter as they are emitted (the test's
    own HTTP client's left out)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [
            event
            for event in map(json.loads, stream.getvalue().splitlines())
            if not event["logger"].startswith("httpx")
        ]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123_X.y", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("two words", False),
        ("\u00e9".encode(), False),
        ("a/b", False),
    ],
)
async def test_a_sane_request_id_is_echoed_and_any_other_replaced(
    client: httpx.AsyncClient, sent: str | bytes, kept: bool
) -> None:
    raw = sent if isinstance(sent, bytes) else sent.encode()
    answered = (await client.get("/users/1", headers={b"X-Request-ID": raw})).headers["X-Request-ID"]
    assert (answered == sent) is kept
    assert 1 <= len(answered) <= 128


async def test_every_response_gets_a_fresh_request_id(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/health/live")).headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


async def test_problem_bodies_carry_the_request_id(client: httpx.AsyncClient) -> None:
    oversized = {"Content-Length": str(10**9)}
    for response in (
        await client.get("/users/1"),  # 404
        await client.get("/users/x"),  # 422
        await client.post("/users/", content=b"{}", headers=oversized),  # 413, from the body limit
        await client.get("/posts/", headers={"X-Request-ID": "mine"}),  # 200: no body to carry it
    ):
        if response.status_code != 200:
            assert response.json()["request_id"] == response.headers["X-Request-ID"]


class Exploding:
    async def __call__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")


async def test_an_unhandled_error_is_one_event_with_traceback_request_id_route_and_user(
    container: Container,
    client: httpx.AsyncClient,
    login: Callable[..., Any],
    json_log: Callable[[], list[dict[str, Any]]],
) -> None:
    user, auth = await login()
    container.posts.CreatePost.override(providers.Object(Exploding()))

    response = await client.post("/posts/", json={"title": "t", "content": "c"}, headers=auth)

    body = assert_problem(response, 500, "An unexpected error occurred")
    request_id = response.headers["X-Request-ID"]
    assert body["request_id"] == request_id
    errors = [e for e in json_log() if e["level"] == "error"]
    assert len(errors) == 1
    (error,) = errors
    assert error["request_id"] == request_id
    assert error["route"] == "/posts/"
    assert error["user_id"] == user["id"]
    assert "Traceback" in error["exception"]
    assert "RuntimeError: boom" in error["exception"]
    (access,) = [e for e in json_log() if e["logger"] == "api.access" and e["request_id"] == request_id]
    assert access["status"] == 500


async def test_one_access_event_per_request(
    client: httpx.AsyncClient, login: Callable[..., Any], json_log: Callable[[], list[dict[str, Any]]]
) -> None:
    user, auth = await login()
    response = await client.get("/users/me?token=abc&limit=5&Password=x%20y", headers=auth)

    request_id = response.headers["X-Request-ID"]
    mine = [e for e in json_log() if e.get("request_id") == request_id]
    assert len(mine) == 1
    (event,) = mine
    assert event["logger"] == "api.access"
    assert event["event"] == "request"
    assert event["method"] == "GET"
    assert event["route"] == "/users/me"
    assert event["path"] == "/users/me"
    assert event["query"] == "token=[redacted]&limit=5&Password=[redacted]"
    assert event["status"] == 200
    assert event["duration_ms"] >= 0
    assert event["user_id"] == user["id"]
    assert event["client"]


async def test_the_token_of_a_mailed_link_is_redacted_from_the_access_event(
    client: httpx.AsyncClient, json_log: Callable[[], list[dict[str, Any]]]
) -> None:
    token = "kM3bq0wZ5mJ1pX8vT2nY7cR4hL6sD9fG0aE3uI5oQ1w"
    for path in ("/reset-password", "/verify-email"):
        assert (await client.get(f"{path}?token={token}")).status_code == 200

    events = [event for event in json_log() if event["logger"] == "api.access"]
    assert [event["query"] for event in events] == ["token=[redacted]", "token=[redacted]"]
    assert token not in json.dumps(json_log())


async def test_metrics_label_routes_by_template_and_count_logins(
    client: httpx.AsyncClient, login: Callable[..., Any]
) -> None:
    before = {
        "user": sample("http_requests_total", method="GET", route="/users/{user_id}", status="404"),
        "unmatched": sample("http_requests_total", method="GET", route="unmatched", status="404"),
        "success": sample("login_attempts_total", outcome="success"),
        "bad": sample("login_attempts_total", outcome="bad_credentials"),
    }
    await client.get("/users/987654")
    await client.get("/nothing/here/987654")
    await login(email="ada@example.com", password="long enough")
    failed = await client.post("/auth/token", data={"username": "ada@example.com", "password": "wrong one"})
    assert failed.status_code == 400

    text = (await client.get("/metrics")).text
    assert "987654" not in text
    assert sample("http_requests_total", method="GET", route="/users/{user_id}", status="404") == (
        before["user"] + 1
    )
    assert (
        sample("http_requests_total", method="GET", route="unmatched", status="404")
        == before["unmatched"] + 1
    )
    assert sample("login_attempts_total", outcome="success") == before["success"] + 1
    assert sample("login_attempts_total", outcome="bad_credentials") == before["bad"] + 1
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/users/{user_id}"' in text
    assert "http_requests_in_flight" in text


async def test_requests_are_counted_in_batches_and_before_the_metrics_are_read(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.observability.batches, "EVERY_S", 3600.0)  # only /metrics records them here
    labels = {"method": "GET", "route": "/users/{user_id}", "status": "404"}
    before = sample("http_requests_total", **labels)
    assert (await client.get("/users/987655")).status_code == 404
    assert sample("http_requests_total", **labels) == before  # held in the batch
    await client.get("/metrics")
    assert sample("http_requests_total", **labels) == before + 1
    assert sample("http_request_duration_seconds_count", **labels) >= 1


def test_without_an_event_loop_a_request_is_counted_at_once() -> None:
    observer = RequestObserver(Observing())
    labels = {"method": "GET", "route": "unmatched", "status": "418"}
    before = sample("http_requests_total", **labels)
    observer.finished({"method": "GET", "path": "/teapot"}, 418, 0.001, observer.started())
    assert sample("http_requests_total", **labels) == before + 1


async def test_metrics_are_not_in_the_openapi_schema(client: httpx.AsyncClient) -> None:
    assert "/metrics" not in (await client.get("/openapi.json")).json()["paths"]


async def test_metrics_can_be_turned_off(sqlite_database: str) -> None:
    labels = {"method": "GET", "route": "/users/{user_id}", "status": "404"}
    before = sample("http_requests_total", **labels)
    async with sql_app(sqlite_database, metrics_enabled=False) as app:
        assert (await app.client.get("/users/1")).status_code == 404
        assert_problem(await app.client.get("/metrics"), 404)
    assert sample("http_requests_total", **labels) == before


class GatedHasher(FakeHasher):
    """Hashes wait at the gate; `all_waiting` is set once `expected` of them wait there."""

    def __init__(self, expected: int) -> None:
        self.gate = asyncio.Event()
        self.all_waiting = asyncio.Event()
        self.expected = expected

    async def hash(self, password: str) -> str:
        self.expected -= 1
        if self.expected == 0:
            self.all_waiting.set()
        await self.gate.wait()
        return await super().hash(password)


async def test_hashing_is_timed_and_operations_under_way_are_counted() -> None:
    inner = GatedHasher(expected=3)
    hasher = MeasuredPasswordHasher(inner)
    hashed = sample("password_hashing_seconds_count", operation="hash")
    verified = sample("password_hashing_seconds_count", operation="verify")
    under_way = HASHING_IN_PROGRESS._value.get()

    tasks = [asyncio.create_task(hasher.hash("a password")) for _ in range(3)]
    await inner.all_waiting.wait()
    assert HASHING_IN_PROGRESS._value.get() == under_way + 3
    inner.gate.set()
    hashes = await asyncio.gather(*tasks)
    assert await hasher.verify("a password", hashes[0])

    assert HASHING_IN_PROGRESS._value.get() == under_way
    assert sample("password_hashing_seconds_count", operation="hash") == hashed + 3
    assert sample("password_hashing_seconds_count", operation="verify") == verified + 1


def test_the_container_times_hashing_only_when_metrics_are_on() -> None:
    for enabled, measured in ((True, True), (False, False)):
        container = Container()
        container.settings.override(providers.Object(Settings(metrics_enabled=enabled)))
        assert isinstance(container.hasher(), MeasuredPasswordHasher) is measured


@pytest.mark.postgres
async def test_database_pool_size_and_connections_in_use_on_postgres(postgres_database_url: str) -> None:
    # Mail off: the delivery loop would check connections out of its own while the gauge is read.
    async with sql_app(postgres_database_url, db_pool_size=7, mail_backend="off") as app:
        assert sample("db_pool_size") == 7
        idle = sample("db_pool_connections_in_use")
        session = await app.container.database().session(writes=True)
        try:
            (await session.exec(select(UserRow.id).limit(1))).all()  # checks a connection out of the pool
            assert sample("db_pool_connections_in_use") == idle + 1
            assert (await app.client.get("/users/")).status_code == 200
        finally:
            await session.close()
        assert sample("db_pool_connections_in_use") == idle
