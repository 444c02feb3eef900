"""CORS (APP_CORS_ORIGINS): preflights answered at the edge, exact origins only, credentials (cookie
sessions) for those alone, the headers a browser app needs exposed, nothing for other origins, and no
memory kept per origin."""

import gc
import logging
import tracemalloc
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
from dependency_injector import providers
from pydantic import ValidationError
from starlette.types import Message

from api.app import create_app
from application.ports.throttling import Throttle
from infrastructure.container import Container
from infrastructure.settings import Settings
from tests.api.problems import assert_problem
from tests.api.sql_apps import app_client
from tests.factories import UserCreatePayload

APP_ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example"
EXPOSED = {"link", "x-request-id", "etag", "retry-after", "location", "idempotent-replayed", "traceparent"}


def preflight(
    origin: str, method: str = "POST", headers: str = "authorization, content-type"
) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("access-control-")}


def listed(header: str) -> set[str]:
    return {item.strip().lower() for item in header.split(",")}


class Untouchable:
    """A unit of work or rate limiter that fails the test when a preflight reaches it."""

    calls: ClassVar[list[str]] = []

    def __init__(self, *_: Any) -> None:
        Untouchable.calls.append("unit of work")
        raise AssertionError("a preflight reached the database")

    async def check(self, throttle: Throttle, key: str) -> None:
        Untouchable.calls.append("check")

    async def hit(self, throttle: Throttle, key: str) -> None:
        Untouchable.calls.append("hit")

    async def clear(self, throttle: Throttle, key: str) -> None:
        Untouchable.calls.append("clear")


@pytest.fixture
def cors_container(container: Container) -> Container:
    container.settings.override(
        providers.Object(
            Settings(cors_origins=f"{APP_ORIGIN}, http://localhost:5173", cors_max_age_seconds=900)
        )
    )
    return container


@pytest.fixture
async def cors_client(cors_container: Container) -> Any:
    async with app_client(create_app(cors_container)) as client:
        yield client


async def test_a_preflight_from_a_listed_origin_says_what_the_api_allows(
    cors_client: httpx.AsyncClient,
) -> None:
    response = await cors_client.options("/posts/", headers=preflight(APP_ORIGIN, "PATCH", "if-match"))

    assert response.status_code == 204
    assert response.content == b""
    headers = cors_headers(response)
    assert headers["access-control-allow-origin"] == APP_ORIGIN
    assert {"GET", "POST", "PATCH", "DELETE"} <= set(headers["access-control-allow-methods"].split(", "))
    allowed = listed(headers["access-control-allow-headers"])
    assert {
        "authorization",
        "content-type",
        "if-match",
        "if-none-match",
        "idempotency-key",
        "x-csrf-token",
        "traceparent",
        "tracestate",
    } <= allowed
    assert headers["access-control-max-age"] == "900"
    assert headers["access-control-allow-credentials"] == "true"  # cookie sessions, for listed origins
    assert "origin" in listed(response.headers["vary"])


async def test_a_preflight_from_another_origin_gets_no_cors_header(cors_client: httpx.AsyncClient) -> None:
    for origin in (OTHER_ORIGIN, APP_ORIGIN + ".evil.example", "http://app.example.com", "null"):
        response = await cors_client.options("/posts/", headers=preflight(origin))

        assert_problem(response, 403, "This origin may not call the API from a browser")
        assert cors_headers(response) == {}, origin


async def test_a_listed_origin_reads_answers_and_the_headers_it_needs(
    cors_client: httpx.AsyncClient, login: Any
) -> None:
    _user, auth = await login()
    # `login` used the default client; this app shares its container's store.
    created = await cors_client.post(
        "/posts/", json={"title": "Hi", "content": "x"}, headers={**auth, "Origin": APP_ORIGIN}
    )
    missing = await cors_client.get("/posts/999", headers={"Origin": APP_ORIGIN})

    for response in (created, missing):  # problems too: the browser app must read them
        headers = cors_headers(response)
        assert headers["access-control-allow-origin"] == APP_ORIGIN
        assert listed(headers["access-control-expose-headers"]) >= EXPOSED
        assert headers["access-control-allow-credentials"] == "true"
        assert "origin" in listed(response.headers["vary"])
    assert created.status_code == 201
    assert missing.status_code == 404


async def test_another_origin_or_no_origin_gets_no_cors_header(cors_client: httpx.AsyncClient) -> None:
    other = await cors_client.get("/users/", headers={"Origin": OTHER_ORIGIN})
    same = await cors_client.get("/users/")

    for response in (other, same):
        assert response.status_code == 200
        assert cors_headers(response) == {}
        assert response.headers["vary"] == "origin"  # a shared cache keeps one answer per origin


async def test_without_origins_configured_nothing_changes(client: httpx.AsyncClient) -> None:
    response = await client.options("/posts/", headers=preflight(APP_ORIGIN))
    read = await client.get("/users/", headers={"Origin": APP_ORIGIN})

    assert_problem(response, 405)
    assert cors_headers(response) == {}
    assert cors_headers(read) == {}
    assert "vary" not in read.headers


async def test_any_origin_outside_production(container: Container) -> None:
    container.settings.override(providers.Object(Settings(cors_origins="*")))
    async with app_client(create_app(container)) as client:
        answer = await client.options("/users/", headers=preflight("https://anyone.example"))
        read = await client.get("/users/", headers={"Origin": "https://anyone.example"})

    assert answer.status_code == 204
    assert cors_headers(answer)["access-control-allow-origin"] == "*"
    assert cors_headers(read)["access-control-allow-origin"] == "*"
    assert "vary" not in read.headers
    # "*" lets anyone read, never with the cookies of a session (browsers refuse both together).
    assert "access-control-allow-credentials" not in cors_headers(answer)
    assert "access-control-allow-credentials" not in cors_headers(read)


async def test_with_any_origin_a_listed_one_alone_gets_credentials(container: Container) -> None:
    container.settings.override(providers.Object(Settings(cors_origins=f"*, {APP_ORIGIN}")))
    async with app_client(create_app(container)) as client:
        mine = await client.get("/users/", headers={"Origin": APP_ORIGIN})
        anyone = await client.get("/users/", headers={"Origin": OTHER_ORIGIN})
        nobody = await client.get("/users/")

    assert cors_headers(mine)["access-control-allow-origin"] == APP_ORIGIN
    assert cors_headers(mine)["access-control-allow-credentials"] == "true"
    assert cors_headers(anyone)["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in cors_headers(anyone)
    for response in (mine, anyone, nobody):  # what is answered varies by Origin
        assert "origin" in listed(response.headers["vary"])


async def test_preflights_spend_no_database_and_no_rate_limit(cors_container: Container) -> None:
    Untouchable.calls = []
    cors_container.uow.override(providers.Factory(Untouchable))
    cors_container.read_uow.override(providers.Factory(Untouchable))
    cors_container.rate_limiter.override(providers.Object(Untouchable.__new__(Untouchable)))
    async with app_client(create_app(cors_container)) as client:
        for path in ("/users/", "/posts/", "/auth/token", "/users/me", "/posts/1"):
            response = await client.options(path, headers=preflight(APP_ORIGIN))
            assert response.status_code == 204, path
        registered = await client.post("/users/", json=UserCreatePayload(), headers={"Origin": APP_ORIGIN})

    assert registered.status_code == 500  # the proof that the fakes are wired: a real request reaches them
    assert Untouchable.calls == ["hit", "unit of work"]


@pytest.fixture
def no_access_events() -> Iterator[None]:
    """pytest keeps every captured log record for its report: access events would be what grows."""
    access = logging.getLogger("api.access")
    level = access.level
    access.setLevel(logging.WARNING)
    yield
    access.setLevel(level)


async def test_ten_thousand_preflights_from_as_many_origins_keep_no_memory(
    cors_container: Container, no_access_events: None
) -> None:
    app = create_app(cors_container)
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def flood(first: int, count: int) -> None:
        # Straight through the ASGI app: an HTTP client would allocate for itself.
        for i in range(first, first + count):
            origin = APP_ORIGIN if i % 2 else f"https://site{i}.example"
            headers = [(name.lower().encode(), value.encode()) for name, value in preflight(origin).items()]
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "OPTIONS",
                "scheme": "http", "path": "/posts/", "raw_path": b"/posts/", "query_string": b"",
                "root_path": "", "headers": [(b"host", b"testserver"), *headers],
                "client": ("127.0.0.1", 40000 + i % 1000), "server": ("testserver", 80),
            }  # fmt: skip
            await app(scope, receive, send)

    await flood(0, 1000)  # warm-up: whatever is made once (metrics series, caches) is made here
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        await flood(1000, 10_000)
        app.state.request_observer.record_answered()  # the batch of metrics held (at most batches.LIMIT)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert set(statuses) == {204, 403}
    assert grown < 100_000, f"{grown} bytes kept after 10 000 preflights"


@pytest.mark.parametrize(
    "origins", ["https://app.example.com/", "https://app.example.com/path", "app.example.com"]
)
def test_an_origin_must_be_exact(origins: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(cors_origins=origins)


def test_any_origin_is_refused_in_production() -> None:
    strong = "k3Y-9vQ_xZ7wP2mL5nR8tB4cF6hJ1dS0gAeU"
    production: dict[str, Any] = {
        "env": "production",
        "jwt_secret": strong,
        "allowed_hosts": "api.example.com",
        "mail_backend": "off",
    }
    with pytest.raises(ValidationError, match="APP_CORS_ORIGINS"):
        Settings(**production, cors_origins="*")
    assert Settings(**production, cors_origins=APP_ORIGIN).cors_origin_list == [APP_ORIGIN]
