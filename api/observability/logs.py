"""Structured logs. Every record goes through the standard library's logging (the app's, uvicorn's, the
libraries'), and one structlog formatter renders them all alike: a console line or a JSON object, with the
request id of the request it was logged in.

The app logs with `logging.getLogger(__name__)`; fields go in `extra={...}` under the names of FIELDS.
The access event, logged on every request, takes a shorter way (`log_later`) to the same output.
`configure_logging(settings)` sets it up; the server configures uvicorn alike (`uvicorn_logging`)."""

import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from time import time
from typing import Any, Literal, cast

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from api.observability.batches import Batch
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
    """The handler configure_logging installs (its class marks it, so that a second call replaces it).
    The events `log_later` holds back are written before any other record, and by every flush (the last
    one at exit, by logging.shutdown): the output stays in order and loses none."""

    deferred: "_EventWriter | None" = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.deferred is not None:
            self.deferred.write_pending()
        super().emit(record)

    def flush(self) -> None:
        if self.deferred is not None:
            self.deferred.write_pending()
        super().flush()


TraceIds = Callable[[], tuple[str, str] | None]
# None unless tracing is on: then the current span's (trace id, span id), set by include_trace_ids.
_trace_ids: TraceIds | None = None


def include_trace_ids(trace_ids: TraceIds | None) -> None:
    """Put `trace_id` and `span_id` (what `trace_ids` gives) on every event written inside a span, beside
    its request id; None: no more (tracing off, the default, costs nothing)."""
    global _trace_ids
    _trace_ids = trace_ids


def _add_ids(event_dict: EventDict, request_id: str | None, trace_ids: tuple[str, str] | None) -> None:
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    if trace_ids is not None:
        event_dict.setdefault("trace_id", trace_ids[0])
        event_dict.setdefault("span_id", trace_ids[1])


def _add_request_id(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    _add_ids(event_dict, REQUEST_ID.get(), _trace_ids() if _trace_ids is not None else None)
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
    """Renders events as `formatter` renders records (same fields, same order) on the stream of the handler
    configure_logging installed, without building a LogRecord, which costs far more through
    ProcessorFormatter (docs/performance.md). An event is held back as the tuple `log_later` was given,
    and the ones held are rendered and written together (when: api.observability.batches): a request
    pays for a tuple, and a batch for one write and one flush. In JSON, one orjson call renders an
    event, timestamp included."""

    def __init__(self, log_format: LogFormat, handler: AppLogHandler) -> None:
        self._render = _render_json if log_format == "json" else _console_renderer(log_format)
        self._handler = handler
        self.pending: Batch[_Pending] = Batch(handler.flush)  # api.observability.batches says when

    def write_pending(self) -> None:
        """Render and write the events held back."""
        pending = self.pending.take()
        if not pending:
            return
        lines = []
        for logger, level, event, fields, args, request_id, trace_ids, at in pending:
            event_dict = {"event": event, "level": level, "logger": logger, **fields(*args)}
            _add_ids(event_dict, request_id, trace_ids)
            lines.append(self._render(event_dict, at))
        self._handler.acquire()
        try:
            self._handler.stream.write("".join(lines))
        finally:
            self._handler.release()


# (logger name, level name, event, fields function, its arguments, request id, trace ids, Unix time)
_Pending = tuple[
    str, str, str, Callable[..., dict[str, Any]], tuple[Any, ...], str | None, tuple[str, str] | None, float
]


def _render_json(event_dict: dict[str, Any], at: float) -> str:
    event_dict["timestamp"] = datetime.fromtimestamp(at, UTC)
    return orjson.dumps(event_dict, default=repr, option=_JSON_LINE).decode()


def _console_renderer(log_format: LogFormat) -> Callable[[dict[str, Any], float], str]:
    render = _renderer(log_format)

    def line(event_dict: dict[str, Any], at: float) -> str:
        event_dict["timestamp"] = datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
        return cast(str, render(None, "", event_dict)) + "\n"

    return line


# An ISO 8601 UTC timestamp ending in Z, as TimeStamper(fmt="iso", utc=True) writes it, and a newline.
_JSON_LINE = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


_event_writer: _EventWriter | None = None


def log_later(
    logger: logging.Logger, level: int, event: str, fields: Callable[..., dict[str, Any]], *args: Any
) -> None:
    """Log `event` on `logger` if it is enabled for `level`, with the fields `fields(*args)` returns
    (names from FIELDS), the request id, the trace ids (with tracing on) and the time of now. Set up by
    configure_logging, the event is rendered (and `fields` called) when the handler next writes: at
    the latest 50 ms later, before any other record, and at exit. Otherwise, through the logging
    module now."""
    if not logger.isEnabledFor(level):
        return
    if _event_writer is not None:
        level_name = _LEVEL_NAMES.get(level) or logging.getLevelName(level).lower()
        trace_ids = _trace_ids() if _trace_ids is not None else None
        _event_writer.pending.add(
            (logger.name, level_name, event, fields, args, REQUEST_ID.get(), trace_ids, time())
        )
    else:
        logger.log(level, event, extra=fields(*args))


_LEVEL_NAMES = {logging.INFO: "info", logging.WARNING: "warning"}


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
    _event_writer = handler.deferred = _EventWriter(settings.log_renderer, handler)
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
