"""Structured logs. Every record goes through the standard library's logging (the app's, uvicorn's, the
libraries'), and one structlog formatter renders them all alike: a console line or a JSON object, with the
request id of the request it was logged in.

The app logs with `logging.getLogger(__name__)`; fields go in `extra={...}` under the names of FIELDS.
The access event, logged on every request, takes a shorter way (`log_event`) to the same output.
`configure_logging(settings)` sets it up; the server configures uvicorn alike (`uvicorn_logging`)."""

import asyncio
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from api.observability.request_ids import REQUEST_ID
from infrastructure.settings import Settings

# The fields of the app's events (passed as `extra`); anything else a record carries stays out.
FIELDS = (
    "method",
    "route",
    "path",
    "query",
    "status",
    "duration_ms",
    "client",
    "user_id",
    "session_id",
    "error",
)
# Libraries that log secrets or floods when their loggers are enabled (SQLAlchemy logs statements with
# their parameters, a password hash among them, at INFO): warnings only, whatever APP_LOG_LEVEL says.
QUIET_LOGGERS = ("sqlalchemy", "multipart", "python_multipart", "asyncio", "httpcore", "httpx")


class AppLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure_logging installs (its class marks it, so that a second call replaces it)."""


def _add_request_id(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _json(event_dict: Any, **_kwargs: Any) -> str:
    return orjson.dumps(event_dict, default=repr).decode()


LogFormat = Literal["console", "json"]


def _renderer(log_format: LogFormat) -> Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer(serializer=_json)
    return structlog.dev.ConsoleRenderer(
        colors=sys.stdout.isatty(), exception_formatter=structlog.dev.plain_traceback
    )


# After the level, logger name and fields: what every event gets, however it is logged.
_COMMON: tuple[Processor, ...] = (_add_request_id, structlog.processors.TimeStamper(fmt="iso", utc=True))


def formatter(log_format: LogFormat) -> structlog.stdlib.ProcessorFormatter:
    """The one formatter of every log record (settings.log_renderer says which format)."""
    pre_chain: list[Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(allow=FIELDS),
        *_COMMON,
    ]
    if log_format == "json":
        pre_chain.append(structlog.processors.format_exc_info)  # the traceback as one "exception" string
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _renderer(log_format)],
    )


class _EventWriter:
    """Renders an event as `formatter` renders a record (same fields, same order) and writes it to the
    stream of the handler configure_logging installed, without building a LogRecord, which costs far more
    through ProcessorFormatter (README "Logs"). In JSON, one orjson call renders it, the timestamp
    included (a quarter of structlog's processors' time). On an event loop, the stream is flushed once
    per FLUSH_EVERY_S rather than once per event: one system call for a batch."""

    FLUSH_EVERY_S = 0.05

    def __init__(self, log_format: LogFormat, handler: logging.StreamHandler) -> None:  # type: ignore[type-arg]
        self._processors = (*_COMMON, _renderer(log_format))
        self._json = log_format == "json"
        self._handler = handler
        self._flush_pending = False

    def write(self, logger: str, level: str, event: str, fields: dict[str, Any]) -> None:
        event_dict: Any = {"event": event, "level": level, "logger": logger, **fields}
        if self._json:  # what _COMMON and the JSON renderer make of it
            request_id = REQUEST_ID.get()
            if request_id is not None:
                event_dict.setdefault("request_id", request_id)
            event_dict["timestamp"] = datetime.now(UTC)
            line = orjson.dumps(event_dict, default=repr, option=_JSON_LINE).decode()
        else:
            for processor in self._processors:
                event_dict = processor(None, level, event_dict)
            line = event_dict + "\n"
        self._handler.acquire()
        try:
            self._handler.stream.write(line)
        finally:
            self._handler.release()
        if not self._flush_pending:
            try:
                asyncio.get_running_loop().call_later(self.FLUSH_EVERY_S, self._flush)
                self._flush_pending = True
            except RuntimeError:  # no event loop: flush now
                self._handler.flush()

    def _flush(self) -> None:
        self._flush_pending = False
        self._handler.flush()


# An ISO 8601 UTC timestamp ending in Z, as TimeStamper(fmt="iso", utc=True) writes it, and a newline.
_JSON_LINE = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


_event_writer: _EventWriter | None = None


def log_event(logger: logging.Logger, level: int, event: str, fields: dict[str, Any]) -> None:
    """Log `event` with `fields` (names from FIELDS) on `logger` if it is enabled for `level`: straight
    to the output when configure_logging set it up, through the logging module otherwise."""
    if not logger.isEnabledFor(level):
        return
    if _event_writer is not None:
        _event_writer.write(logger.name, logging.getLevelName(level).lower(), event, fields)
    else:
        logger.log(level, event, extra=fields)


def configure_logging(settings: Settings) -> None:
    """Send every record to stdout through `formatter(settings)` at APP_LOG_LEVEL; uvicorn's loggers
    included, its access logger silenced (the app logs one access event per request itself).
    Calling it again replaces what the previous call installed."""
    global _event_writer
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, AppLogHandler)]:
        root.removeHandler(handler)
    handler = AppLogHandler(sys.stdout)
    handler.setFormatter(formatter(settings.log_renderer))
    root.addHandler(handler)
    _event_writer = _EventWriter(settings.log_renderer, handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.setLevel(logging.NOTSET)
        uvicorn_logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
