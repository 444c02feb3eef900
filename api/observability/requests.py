"""What an operator sees of each request: its request id, one access event, metrics, and one error event
with the traceback when the app fails. Pure ASGI middleware, so that per-request work stays small."""

import logging
import re
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Request
from prometheus_client.metrics import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability.logs import log_event
from api.observability.metrics import IN_FLIGHT, REQUEST_SECONDS, REQUESTS, UNMATCHED_ROUTE
from api.observability.redaction import redact_query
from api.problems.response import problem
from api.problems.types import UNEXPECTED

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

access_logger = logging.getLogger("api.access")
error_logger = logging.getLogger("api.errors")


def is_sane_request_id(value: str) -> bool:
    """Whether a client's X-Request-ID is used as is: at most 128 characters of [A-Za-z0-9._-]."""
    return _SANE_REQUEST_ID.fullmatch(value) is not None


def set_user_id(request: Request, user_id: int | None) -> None:
    """Name the authenticated caller in the request's access and error events."""
    request.state.user_id = user_id


@dataclass(slots=True)
class Observing:
    """What the middleware does, set at start-up from the settings (APP_METRICS_ENABLED)."""

    metrics: bool = True


def install_observability(app: FastAPI, observing: Observing) -> None:
    """Outermost middleware (add it after every other): request ids around everything, so that even a
    500 carries its X-Request-ID; inside it, the access event, the metrics and the unhandled-error event,
    as `observing` says (the lifespan sets it; app.state.observing holds it too)."""
    app.state.observing = observing
    app.add_middleware(RequestObserver, observing=observing)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        validator=is_sane_request_id,
        update_request_header=True,
    )


def route_of(scope: Scope) -> str:
    """The template of the route that matched (`/users/{user_id}`), never the raw path."""
    route = scope.get("route")
    return getattr(route, "path_format", None) or UNMATCHED_ROUTE


def _user_id(scope: Scope) -> Any:
    state = scope.get("state")
    return state.get("user_id") if state else None


class _WatchedSend:
    """`send`, noting the status of the response and whether it has started."""

    __slots__ = ("send", "started", "status")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status = 500  # if the app fails before it answers
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.started = True
        await self.send(message)


def _log_unhandled(scope: Scope, error: Exception) -> None:
    error_logger.error(
        "unhandled error",
        exc_info=error,
        extra={
            "method": scope["method"],
            "route": route_of(scope),
            "path": scope["path"],
            "user_id": _user_id(scope),
        },
    )


class RequestObserver:
    def __init__(self, app: ASGIApp, *, observing: Observing) -> None:
        self.app = app
        self.observing = observing
        # (method, route, status) -> its samples: labels() is resolved once per series, not per request.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        watched = _WatchedSend(send)
        metrics = self.observing.metrics
        if metrics:
            IN_FLIGHT.inc()
        try:
            await self._answer(scope, receive, watched)
        finally:
            self._record(scope, watched.status, perf_counter() - start, metrics)

    async def _answer(self, scope: Scope, receive: Receive, send: "_WatchedSend") -> None:
        """The app's answer; a 500 problem when the app fails before it starts one."""
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            _log_unhandled(scope, error)
            if send.started:  # too late for a problem response: let the server close the connection
                raise
            await problem(UNEXPECTED, instance=scope["path"])(scope, receive, send)

    def _record(self, scope: Scope, status: int, elapsed: float, metrics: bool) -> None:
        if metrics:
            IN_FLIGHT.dec()
            self._observe(scope["method"], route_of(scope), status, elapsed)
        if access_logger.isEnabledFor(logging.INFO):
            self._log_access(scope, status, elapsed)

    def _observe(self, method: str, route: str, status: int, elapsed: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            labels = (method, route, str(status))
            series = self._series[key] = (REQUESTS.labels(*labels), REQUEST_SECONDS.labels(*labels))
        series[0].inc()
        series[1].observe(elapsed)

    @staticmethod
    def _log_access(scope: Scope, status: int, elapsed: float) -> None:
        client = scope.get("client")
        query = scope.get("query_string")
        log_event(
            access_logger,
            logging.INFO,
            "request",
            {
                "method": scope["method"],
                "route": route_of(scope),
                "path": scope["path"],
                "query": redact_query(query.decode("latin-1")) if query else None,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "client": f"{client[0]}:{client[1]}" if client else None,
                "user_id": _user_id(scope),
            },
        )
