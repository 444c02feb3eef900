"""Log configuration: one formatter for every logger, formats and levels from settings, secrets kept out."""

import io
import json
import logging
import re
import secrets
from collections.abc import Iterator

import pytest

import api.observability.logs
from api.observability.logs import configure_logging, log_later
from api.observability.redaction import REDACTED, redact_query
from api.observability.request_ids import REQUEST_ID
from infrastructure.settings import Settings


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("limit=5&after=3", "limit=5&after=3"),
        ("password=hunter2", f"password={REDACTED}"),
        ("PASSWORD=a&x=1&access_token=t.t.t", f"PASSWORD={REDACTED}&x=1&access_token={REDACTED}"),
        ("pass%77ord=a+b", f"pass%77ord={REDACTED}"),  # percent-encoded key
        ("token", f"token={REDACTED}"),
        ("current_password=x&refresh_token=y", f"current_password={REDACTED}&refresh_token={REDACTED}"),
    ],
)
def test_secret_query_values_are_redacted(query: str, logged: str) -> None:
    assert redact_query(query) == logged


def test_the_log_format_follows_the_environment_unless_set() -> None:
    assert Settings(env="development").log_renderer == "console"
    assert Settings(env="test").log_renderer == "console"
    secret = secrets.token_urlsafe(48)
    assert (
        Settings(
            env="production", jwt_secret=secret, allowed_hosts="api.example.com", mail_backend="off"
        ).log_renderer
        == "json"
    )
    assert Settings(env="development", log_format="json").log_renderer == "json"
    assert Settings(log_level="debug").log_level == "DEBUG"


@pytest.fixture
def logging_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Restore what configure_logging changes."""
    monkeypatch.setattr(api.observability.logs, "_event_writer", None)
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy")
    saved = {
        name: (logger.handlers[:], logger.level, logger.propagate, logger.disabled)
        for name in names
        for logger in [logging.getLogger(name)]
    }
    yield
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


@pytest.mark.usefixtures("logging_state")
def test_uvicorn_and_the_app_log_through_one_formatter(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    uvicorn_handler = logging.StreamHandler(io.StringIO())
    logging.getLogger("uvicorn.error").addHandler(uvicorn_handler)  # as uvicorn's own config would
    configure_logging(Settings(log_format="console"))
    configure_logging(Settings(log_format="json", log_level="DEBUG"))  # replaces the first

    logging.getLogger("uvicorn.error").warning("from uvicorn")
    logging.getLogger("api.anything").error("from the app")
    logging.getLogger("api.anything").debug("app debug")
    logging.getLogger("uvicorn.access").warning("an access line uvicorn would write")
    logging.getLogger("sqlalchemy.engine").warning("kept")
    logging.getLogger("sqlalchemy.engine").info("statement with parameters")

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["logger"], e["event"], e["level"]) for e in lines] == [
        ("uvicorn.error", "from uvicorn", "warning"),
        ("api.anything", "from the app", "error"),
        ("api.anything", "app debug", "debug"),
        ("sqlalchemy.engine", "kept", "warning"),
    ]
    assert all(e["timestamp"].endswith("Z") for e in lines)
    assert uvicorn_handler not in logging.getLogger("uvicorn.error").handlers


@pytest.mark.usefixtures("logging_state")
@pytest.mark.parametrize("log_format", ["json", "console"])
def test_the_access_event_is_rendered_as_a_record_would_be(
    monkeypatch: pytest.MonkeyPatch, log_format: str
) -> None:
    """log_later's short way writes what the logging module would, but for the timestamp."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    configure_logging(Settings(log_format=log_format))
    fields = {"method": "GET", "route": "/users/{user_id}", "status": 200, "user_id": None}
    access = logging.getLogger("api.access")

    token = REQUEST_ID.set("a-request")
    try:
        log_later(access, logging.INFO, "request", dict, fields)
        access.info("request", extra=fields)
    finally:
        REQUEST_ID.reset(token)
    log_later(access, logging.DEBUG, "not at INFO", dict, fields)

    short, long = out.getvalue().splitlines()
    if log_format == "json":
        short_event, long_event = json.loads(short), json.loads(long)
        assert list(short_event) == list(long_event)  # the same fields in the same order
        for event in (short_event, long_event):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", event.pop("timestamp"))
        assert list(short_event.items()) == list(long_event.items())
    else:
        assert short.split(" ", 1)[1] == long.split(" ", 1)[1]  # after the timestamp


@pytest.mark.usefixtures("logging_state")
async def test_on_an_event_loop_access_events_are_written_in_batches_in_order_and_at_flush(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An event is held back (its fields made only when written) until the handler writes anything
    else, or flushes (its timer, or logging.shutdown at exit); its time and request id are those of
    the moment it was logged."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    configure_logging(Settings(log_format="json"))
    monkeypatch.setattr(api.observability.logs, "time", lambda: 1_700_000_000.25)
    access, made = logging.getLogger("api.access"), []

    def fields(n: int) -> dict[str, int]:
        made.append(n)
        return {"status": n}

    token = REQUEST_ID.set("first")
    log_later(access, logging.INFO, "request", fields, 201)
    REQUEST_ID.reset(token)
    log_later(access, logging.INFO, "request", fields, 202)
    assert (out.getvalue(), made) == ("", [])  # held back: nothing rendered yet

    logging.getLogger("api.errors").warning("something else")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["event"], line.get("status")) for line in lines] == [
        ("request", 201),
        ("request", 202),
        ("something else", None),
    ]
    assert (lines[0]["request_id"], "request_id" in lines[1]) == ("first", False)
    assert lines[0]["timestamp"] == "2023-11-14T22:13:20.250000Z"

    log_later(access, logging.INFO, "request", fields, 203)
    logging.getLogger().handlers[-1].flush()  # what the timer and logging.shutdown call
    assert json.loads(out.getvalue().splitlines()[-1])["status"] == 203
