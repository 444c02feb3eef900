"""The edge's steps where the app's own routes cannot show them: the request headers the app sees, the
answers of a failing app, the Host guard's redirect and its memory of allowed hosts."""

import logging
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.middleware.edge import RESPONSE_HEADERS, Edge
from api.observability.request_ids import REQUEST_ID
from api.observability.requests import Observing, RequestObserver
from infrastructure.container import Container
from infrastructure.settings import Settings
from tests.api.problems import assert_problem

SECURITY_HEADERS = {"x-content-type-options", "referrer-policy", "content-security-policy"}


class Recording:
    """An app answering 204 and keeping the request headers and request id it was given."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.request_id: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.headers = scope["headers"]
        self.request_id = REQUEST_ID.get()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def edge_client(
    app: Any, hosts: tuple[str, ...] = ("*",), base_url: str = "http://testserver"
) -> httpx.AsyncClient:
    edge = Edge(app, reporter=RequestObserver(Observing(metrics=False)), allowed_hosts=hosts)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=edge), base_url=base_url)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [([], False), ([b"mine-1"], True), ([b"two words", b"mine-2"], False), ([b"mine-3", b"bad id"], True)],
)
async def test_the_app_sees_one_request_id_header_the_answer_carries(sent: list[bytes], kept: bool) -> None:
    app = Recording()
    async with edge_client(app) as client:
        response = await client.get("/", headers=[(b"x-request-id", value) for value in sent])
    request_ids = [value.decode() for name, value in app.headers if name == b"x-request-id"]
    answered = response.headers["x-request-id"]
    assert request_ids == ([sent[0].decode(), *(v.decode() for v in sent[1:])] if kept else [answered])
    assert app.request_id == answered
    assert (answered == sent[0].decode()) is kept if sent else len(answered) == 32


async def test_an_unsafe_request_id_is_replaced_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        async with edge_client(Recording()) as client:
            response = await client.get("/", headers={"X-Request-ID": "a/b"})
    (record,) = [r for r in caplog.records if r.name == "api.middleware.edge"]
    assert response.headers["x-request-id"] in record.getMessage()
    assert "a/b" not in record.getMessage()


async def test_the_answer_carries_the_headers_a_layer_outside_asks_for() -> None:
    edge = Edge(Recording(), reporter=RequestObserver(Observing(metrics=False)), allowed_hosts=("*",))

    async def outside(scope: Scope, receive: Receive, send: Send) -> None:
        scope[RESPONSE_HEADERS] = ((b"traceparent", b"00-1-2-00"),)
        await edge(scope, receive, send)

    transport = httpx.ASGITransport(app=outside)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/")
    assert response.headers["traceparent"] == "00-1-2-00"
    assert "x-request-id" in response.headers


class Failing:
    def __init__(self, after_start: bool) -> None:
        self.after_start = after_start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.after_start:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("boom")


async def test_a_failing_app_gets_a_500_problem_with_the_edge_headers() -> None:
    async with edge_client(Failing(after_start=False)) as client:
        response = await client.get("/x", headers={"Authorization": "Bearer t"})
    body = assert_problem(response, 500)
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers.keys() >= SECURITY_HEADERS
    assert response.headers["cache-control"] == "no-store"


async def test_a_failure_after_the_answer_started_reaches_the_server() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    edge = Edge(Failing(after_start=True), reporter=RequestObserver(Observing()), allowed_hosts=["*"])
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}
    with pytest.raises(RuntimeError, match="boom"):
        await edge(scope, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start"]


async def test_the_host_guard_redirects_to_the_www_host_and_remembers_only_allowed_hosts() -> None:
    hosts = ("www.example.com", "api.example.com")
    async with edge_client(Recording(), hosts) as client:
        for _ in range(2):
            assert (await client.get("/", headers={"Host": "api.example.com"})).status_code == 204
            refused = await client.get("/", headers={"Host": "evil.example"})
            assert (refused.status_code, refused.text) == (400, "Invalid host header")
        redirect = await client.get("/a?b=1", headers={"Host": "example.com"})
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "http://www.example.com/a?b=1"
    assert refused.headers.keys() >= SECURITY_HEADERS
    assert "x-request-id" in refused.headers


async def test_the_allowed_hosts_are_those_of_the_settings_the_app_is_built_with(
    container: Container,
) -> None:
    container.settings.override(providers.Object(Settings(allowed_hosts="api.example.com")))
    app = create_app(container)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
        assert (await client.get("/health/live", headers={"Host": "evil.example"})).status_code == 400
