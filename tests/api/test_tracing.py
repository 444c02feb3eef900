"""Traces of the served app's work, in the SDK's in-memory exporter: a request is one trace (its server
span, its use case's span, that use case's statements), an incoming `traceparent` is honoured with
parent-based sampling and the response quotes the trace; domain errors are recorded on the use case's
span; the mail and the events a request writes are delivered in spans of its trace; log lines carry
the ids. Off, the app has nothing of it."""

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import api.observability.logs
from api.middleware.tracing import ServerSpans
from api.observability.logs import configure_logging
from application.posts import GetPost
from application.users import GetUser
from infrastructure.events.memory import InMemoryBroker
from infrastructure.outbox import trace_context
from infrastructure.settings import Settings
from infrastructure.tracing.setup import Tracing, service_resource
from tests.api.sql_apps import SqlApp, sql_app

DEADLINE_SECONDS = 10
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
SAMPLED = f"00-{TRACE_ID}-{PARENT_ID}-01"
USER = {"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"}


@dataclass
class Traced:
    app: SqlApp
    exporter: InMemorySpanExporter

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.name == name]

    def one(self, name: str) -> ReadableSpan:
        found = self.named(name)
        assert len(found) == 1, [span.name for span in self.spans()]
        return found[0]

    async def eventually(self, name: str) -> ReadableSpan:
        """The span `name` once it has ended (the delivery loops run beside the test)."""
        async with asyncio.timeout(DEADLINE_SECONDS):
            while not self.named(name):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return self.one(name)


def hex_ids(span: ReadableSpan) -> tuple[str, str, str | None]:
    """(trace id, span id, parent's span id) in hex."""
    context, parent = span.get_span_context(), span.parent
    assert context is not None
    return (
        format(context.trace_id, "032x"),
        format(context.span_id, "016x"),
        format(parent.span_id, "016x") if parent else None,
    )


def sampled(traceparent: str) -> str:
    """`traceparent` without its flags, which must say "sampled" (the SDK may set "random" too)."""
    rest, _, flags = traceparent.rpartition("-")
    assert int(flags, 16) & 1, traceparent
    return rest


def children(spans: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [span for span in spans if span.parent and span.parent.span_id == hex_int(hex_ids(parent)[1])]


def hex_int(value: str) -> int:
    return int(value, 16)


@pytest.fixture
async def traced(sql_database_url: str) -> AsyncIterator[Traced]:
    exporter = InMemorySpanExporter()
    tracing = Tracing(SimpleSpanProcessor(exporter))
    async with sql_app(
        sql_database_url,
        tracing=tracing,
        events_url="amqp://memory.invalid/",
        events_poll_seconds=0.05,
        broker=InMemoryBroker(),
        limit_register_per_address="1000/minute",
    ) as app:
        yield Traced(app, exporter)


async def registered(app: SqlApp) -> int:
    response = await app.client.post("/users/", json=USER)
    assert response.status_code == 201
    user_id: int = response.json()["id"]
    return user_id


async def test_a_request_is_one_trace_of_the_callers_with_its_use_case_and_statements(traced: Traced) -> None:
    user_id = await registered(traced.app)
    traced.exporter.clear()

    response = await traced.app.client.get(
        f"/users/{user_id}", headers={"traceparent": SAMPLED, "X-Request-ID": "find-me"}
    )

    assert response.status_code == 200
    server = traced.one("GET /users/{user_id}")
    trace_id, server_id, parent_id = hex_ids(server)
    assert (trace_id, parent_id) == (TRACE_ID, PARENT_ID)  # the caller's trace, under the caller's span
    assert server.kind == SpanKind.SERVER
    assert sampled(response.headers["traceparent"]) == f"00-{TRACE_ID}-{server_id}"
    assert server.attributes is not None
    assert {key: server.attributes[key] for key in ("http.request.method", "http.route", "url.path")} == {
        "http.request.method": "GET",
        "http.route": "/users/{user_id}",
        "url.path": f"/users/{user_id}",
    }
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["http.response.header.x-request-id"] == ("find-me",)
    spans = traced.spans()
    [use_case] = children(spans, server)
    assert use_case.name == "GetUser"
    statements = children(spans, use_case)
    assert statements, "the use case's statements are its children"
    assert all(s.kind == SpanKind.CLIENT and "SELECT" in s.name for s in statements)
    assert all(hex_ids(span)[0] == TRACE_ID for span in spans)
    assert len(spans) == 2 + len(statements)  # no other span: no connect, no driver layer


async def test_the_domain_error_that_ends_a_use_case_is_recorded_on_its_span(traced: Traced) -> None:
    response = await traced.app.client.get("/users/999999")

    assert response.status_code == 404
    use_case = traced.one("GetUser")
    assert use_case.status.status_code == StatusCode.ERROR
    assert use_case.attributes is not None
    assert use_case.attributes["error.type"] == "UserNotFound"
    assert [event.name for event in use_case.events] == ["exception"]
    server = traced.one("GET /users/{user_id}")
    assert server.status.status_code == StatusCode.UNSET  # a 4xx is the client's error
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 404


async def test_a_trace_the_caller_did_not_sample_is_not_recorded_but_is_quoted(traced: Traced) -> None:
    unsampled = f"00-{TRACE_ID}-{PARENT_ID}-00"

    response = await traced.app.client.get("/users/1", headers={"traceparent": unsampled})

    assert traced.spans() == ()
    assert response.headers["traceparent"].startswith(f"00-{TRACE_ID}-")
    assert response.headers["traceparent"].endswith("-00")


async def test_without_a_traceparent_a_request_starts_its_own_trace(traced: Traced) -> None:
    response = await traced.app.client.get("/health/live")

    server = traced.one("GET /health/live")
    trace_id, span_id, parent_id = hex_ids(server)
    assert parent_id is None
    assert sampled(response.headers["traceparent"]) == f"00-{trace_id}-{span_id}"


@pytest.mark.parametrize(
    "malformed",
    [
        "garbage",
        f"00-{'0' * 32}-{PARENT_ID}-01",
        f"ff-{TRACE_ID}-{PARENT_ID}-01",
        f"00-{TRACE_ID.upper()}-{PARENT_ID}-01",
    ],
)
async def test_a_malformed_traceparent_is_ignored_and_a_trace_of_its_own_begins(
    traced: Traced, malformed: str
) -> None:
    response = await traced.app.client.get("/health/live", headers={"traceparent": malformed})

    assert response.status_code == 200
    server = traced.one("GET /health/live")
    trace_id, span_id, parent_id = hex_ids(server)
    assert (parent_id, trace_id == TRACE_ID) == (None, False)
    assert sampled(response.headers["traceparent"]) == f"00-{trace_id}-{span_id}"


async def test_the_mail_a_request_writes_is_sent_in_a_span_of_its_trace(traced: Traced) -> None:
    await registered(traced.app)
    await traced.eventually("send mail")  # the verification mail of the registration
    await traced.eventually("publish users-posts.user.registered")  # and its event
    traced.exporter.clear()

    response = await traced.app.client.post(
        "/auth/password-reset", json={"email": USER["email"]}, headers={"traceparent": SAMPLED}
    )

    assert response.status_code == 202
    send = await traced.eventually("send mail")
    use_case = traced.one("RequestPasswordReset")
    assert hex_ids(send)[0] == TRACE_ID
    assert hex_ids(send)[2] == hex_ids(use_case)[1]  # a child of the use case that wrote it
    assert send.kind == SpanKind.CLIENT
    assert send.attributes is not None
    assert send.attributes["app.outbox.attempt"] == 1
    # The delivery loop's own statements (claim, mark) make no spans, in this trace or another.
    assert {span.name for span in traced.spans() if hex_ids(span)[0] != TRACE_ID} == set()


async def test_an_event_carries_the_trace_of_the_request_that_wrote_it_and_is_published_in_it(
    traced: Traced,
) -> None:
    await registered(traced.app)
    token = await traced.app.client.post(
        "/auth/token", data={"username": USER["email"], "password": USER["password"]}
    )
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    traced.exporter.clear()

    response = await traced.app.client.post(
        "/posts/", json={"title": "Hello", "content": "World"}, headers={"traceparent": SAMPLED, **bearer}
    )

    assert response.status_code == 201
    publish = await traced.eventually("publish users-posts.post.created")
    use_case = traced.one("CreatePost")
    assert hex_ids(publish)[0] == TRACE_ID
    assert hex_ids(publish)[2] == hex_ids(use_case)[1]
    assert publish.kind == SpanKind.PRODUCER
    assert publish.attributes is not None
    assert publish.attributes["messaging.system"] == "memory"
    assert publish.attributes["cloudevents.event_subject"] == f"posts/{response.json()['id']}"
    broker = traced.app.container.event_broker()
    assert isinstance(broker, InMemoryBroker)
    [event] = [e for e in broker.published if e.type == "users-posts.post.created"]
    assert event.traceparent is not None
    assert sampled(event.traceparent) == f"00-{TRACE_ID}-{hex_ids(use_case)[1]}"


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The app's JSON log lines, as configure_logging writes them on stdout; restored after."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr(api.observability.logs, "_event_writer", None)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging(Settings(log_format="json"))
    yield out
    root.handlers[:], level = saved
    root.setLevel(level)


def flushed(out: io.StringIO) -> list[dict[str, object]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_log_lines_inside_a_traced_request_carry_its_trace_and_span_ids(
    traced: Traced, json_logs: io.StringIO
) -> None:
    response = await traced.app.client.get(
        "/users/999999", headers={"traceparent": SAMPLED, "X-Request-ID": "find-me"}
    )

    server_id = hex_ids(traced.one("GET /users/{user_id}"))[1]
    assert sampled(response.headers["traceparent"]) == f"00-{TRACE_ID}-{server_id}"
    [access] = [line for line in flushed(json_logs) if line.get("logger") == "api.access"]
    assert access["request_id"] == "find-me"
    assert (access["trace_id"], access["span_id"]) == (TRACE_ID, server_id)
    logging.getLogger("api.anything").warning("outside any request")
    assert "trace_id" not in flushed(json_logs)[-1]


async def test_a_dropped_trace_is_quoted_alike_by_the_response_the_log_lines_and_the_events(
    sql_database_url: str, monkeypatch: pytest.MonkeyPatch, json_logs: io.StringIO
) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")
    exporter, broker = InMemorySpanExporter(), InMemoryBroker()
    tracing = Tracing(SimpleSpanProcessor(exporter))
    events_url = "amqp://memory.invalid/"
    async with sql_app(
        sql_database_url, tracing=tracing, broker=broker, events_url=events_url, events_poll_seconds=0.05
    ) as app:
        await registered(app)
        token = await app.client.post(
            "/auth/token", data={"username": USER["email"], "password": USER["password"]}
        )
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        response = await app.client.post(
            "/posts/", json={"title": "Hello", "content": "World"}, headers=bearer
        )
        async with asyncio.timeout(DEADLINE_SECONDS):
            while not any(e.type == "users-posts.post.created" for e in broker.published):  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    assert response.status_code == 201
    traceparent = response.headers["traceparent"]
    _, trace_id, span_id, flags = traceparent.split("-")
    assert flags == "02"  # not sampled; the trace id drawn at random, as the SDK marks it
    [event] = [e for e in broker.published if e.type == "users-posts.post.created"]
    assert event.traceparent == traceparent
    [access] = [line for line in flushed(json_logs) if line.get("path") == "/posts/"]
    assert (access["trace_id"], access["span_id"]) == (trace_id, span_id)
    assert exporter.get_finished_spans() == ()


def test_the_sdk_names_the_service_from_the_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
    resource = service_resource().attributes
    assert (resource["service.name"], resource["deployment.environment.name"]) == ("users-posts", "staging")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "users-posts-eu")
    assert service_resource().attributes["service.name"] == "users-posts-eu"


async def test_the_sampler_is_the_one_the_standard_variables_name(
    sql_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)  # the default takes the ratio
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")
    exporter = InMemorySpanExporter()
    async with sql_app(sql_database_url, tracing=Tracing(SimpleSpanProcessor(exporter))) as app:
        await app.client.get("/health/live")  # a root: sampled at ratio 0, never
        await app.client.get("/health/live", headers={"traceparent": SAMPLED})  # parent-based
    assert [span.name for span in exporter.get_finished_spans()] == ["GET /health/live"]


def test_tracing_is_on_with_an_otlp_endpoint_or_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert not Settings().tracing_enabled
    assert Settings(tracing=True).tracing_enabled
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")
    assert Settings().tracing_enabled
    assert not Settings(tracing=False).tracing_enabled


async def test_off_the_app_has_nothing_of_tracing(sql_database_url: str) -> None:
    async with sql_app(sql_database_url, tracing=None) as app:
        assert not app.container.settings().tracing_enabled
        response = await app.client.get("/health/live")
        assert "traceparent" not in response.headers
        assert trace_context.current_traceparent is trace_context.no_traceparent
        assert type(app.container.users.GetUser()) is GetUser  # the plain use cases
        assert type(app.container.posts.GetPost()) is GetPost
        assert api.observability.logs._trace_ids is None
        middleware: list[object] = [m.cls for m in app.app.user_middleware]
        assert ServerSpans not in middleware


def test_off_the_tracing_sdk_is_not_even_imported() -> None:
    """An app without tracing never loads the SDK's tracing, its exporter or the instrumentations.
    (redis imports the SDK's metrics package for its own, unused, observability.)"""
    code = (
        "import sys\n"
        "from api.app import create_app\n"
        "create_app()\n"
        "loaded = ('opentelemetry.sdk.trace', 'opentelemetry.exporter', 'infrastructure.tracing.setup',\n"
        "          'opentelemetry.instrumentation.sqlalchemy', 'opentelemetry.instrumentation.redis')\n"
        "print(sorted(m for m in sys.modules if m.startswith(loaded)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APP_"))}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
