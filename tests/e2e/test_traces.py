"""The served app (`users-posts serve`) pointed at a real OTLP/HTTP receiver on a local port, which
decodes the protobuf payloads (throwaway.otlp): a password reset with an incoming `traceparent` is one
trace there, from the server span to the mail's delivery, and the access event names it. The batch
exporter is told to wait a minute: every span arrives only because SIGTERM flushes it, in each worker."""

import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import Server, served, server_env
from throwaway.otlp import ReceivedSpan, otlp_receiver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
WITHIN_SECONDS = 15
USER = {"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"}


def log_lines(server: Server) -> list[dict[str, object]]:
    return [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]


def wait_for_log(server: Server, event_part: str) -> None:
    """Until a log line whose event holds `event_part` is written (the delivery loop runs beside)."""
    deadline = time.monotonic() + WITHIN_SECONDS
    while time.monotonic() < deadline:
        if any(event_part in str(line.get("event")) for line in log_lines(server)):
            return
        time.sleep(0.05)  # polling the log for an event that is written when it happens
    raise AssertionError(f"no {event_part!r} in the log: {server.log.read_text()}")


def only(spans: list[ReceivedSpan], **match: str) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, key) == value for key, value in match.items())]
    assert len(found) == 1, (match, [(s.name, s.parent_span_id) for s in spans])
    return found[0]


@pytest.mark.parametrize(("database", "workers"), [("sqlite_database", "1"), ("postgres_database_url", "2")])
def test_a_password_reset_reaches_the_receiver_as_one_trace_with_its_mail_delivery(
    request: pytest.FixtureRequest, tmp_path: Path, database: str, workers: str
) -> None:
    with otlp_receiver() as receiver:
        env = server_env(
            request.getfixturevalue(database),
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="60000",  # nothing is exported before the shutdown's flush
            APP_LOG_FORMAT="json",
            APP_MAIL_BACKEND="console",
        )
        with served(env, tmp_path / "server.log", "--workers", workers) as server:
            assert httpx.post(server.base_url + "/users/", json=USER).status_code == 201
            response = httpx.post(
                server.base_url + "/auth/password-reset",
                json={"email": USER["email"]},
                headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "X-Request-ID": "reset-1"},
            )
            assert response.status_code == 202
            wait_for_log(server, "Subject: Users & posts: reset your password")
            assert receiver.spans == []  # held by the batch processor, until the exit
            server.terminate()
        spans = [span for span in receiver.spans if span.trace_id == TRACE_ID]

    server_span = only(spans, name="POST /auth/password-reset", parent_span_id=PARENT_ID)
    assert server_span.kind == "SERVER"
    assert server_span.attributes["http.response.status_code"] == 202
    assert server_span.attributes["http.response.header.x-request-id"] == ("reset-1",)
    assert server_span.resource["service.name"] == "users-posts"
    assert response.headers["traceparent"].startswith(f"00-{TRACE_ID}-{server_span.span_id}-")
    use_case = only(spans, name="RequestPasswordReset", parent_span_id=server_span.span_id)
    statements = [s for s in spans if s.parent_span_id == use_case.span_id and "db.statement" in s.attributes]
    assert {span.attributes["db.system"] for span in statements} == {
        "postgresql" if database.startswith("postgres") else "sqlite"
    }
    assert any(span.attributes["db.statement"].startswith("INSERT INTO mail_outbox") for span in statements)
    delivery = only(spans, name="send mail")
    assert delivery.parent_span_id == use_case.span_id  # in the request's trace, under what wrote it
    assert delivery.attributes["app.outbox.attempt"] == 1
    assert len(spans) == 2 + len(statements) + 1
    [access] = [
        line
        for line in log_lines(server)
        if line.get("logger") == "api.access" and line.get("route") == "/auth/password-reset"
    ]
    assert (access["request_id"], access["trace_id"], access["span_id"]) == (
        "reset-1",
        TRACE_ID,
        server_span.span_id,
    )
    started = [line for line in log_lines(server) if "tracing on in process" in str(line.get("event"))]
    assert len(started) == int(workers)  # each worker made its own provider


def test_each_worker_flushes_its_spans_at_sigterm(postgres_database_url: str, tmp_path: Path) -> None:
    requests = 40
    with otlp_receiver() as receiver:
        env = server_env(
            postgres_database_url,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="60000",
            APP_LOG_FORMAT="json",
        )
        with served(env, tmp_path / "server.log", "--workers", "2") as server:
            for _ in range(requests):  # a connection each: the kernel spreads them over the workers
                assert httpx.get(server.base_url + "/users/").status_code == 200
            assert receiver.spans == []
            exit_code = server.terminate()
        listed = [span for span in receiver.spans if span.name == "GET /users/"]

    assert exit_code in (0, -signal.SIGTERM)
    assert len(listed) == requests
