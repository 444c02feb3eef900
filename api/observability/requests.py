"""What an operator sees of each request: one access event, metrics, and one error event with the
traceback when the app fails. The edge (api.middleware.edge) reports each request here."""

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from prometheus_client.metrics import Counter, Histogram
from starlette.types import Scope

from api.observability.batches import Batch
from api.observability.logs import log_later
from api.observability.metrics import IN_FLIGHT, REQUEST_SECONDS, REQUESTS, UNMATCHED_ROUTE
from api.observability.redaction import redact_query

access_logger = logging.getLogger("api.access")
error_logger = logging.getLogger("api.errors")


def set_user_id(request: Request, user_id: int | None) -> None:
    """Name the authenticated caller in the request's access and error events."""
    request.state.user_id = user_id


@dataclass(slots=True)
class Observing:
    """What the edge reports, set at start-up from the settings (APP_METRICS_ENABLED)."""

    metrics: bool = True


def route_template(scope: Scope) -> str | None:
    """The template of the route that matched (`/users/{user_id}`), None when none did."""
    return getattr(scope.get("route"), "path_format", None)


def route_of(scope: Scope) -> str:
    """The template of the route that matched (`/users/{user_id}`), never the raw path."""
    return route_template(scope) or UNMATCHED_ROUTE


def _user_id(scope: Scope) -> Any:
    state = scope.get("state")
    return state.get("user_id") if state else None


class RequestObserver:
    """The access event, the metrics and the unhandled-error event of each request, as `observing` says
    (the lifespan sets it; app.state.observing holds it too)."""

    __slots__ = ("_answered", "_series", "observing")

    def __init__(self, observing: Observing) -> None:
        self.observing = observing
        # (method, route, status) -> its samples: labels() is resolved once per series, not per request.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        # Requests answered, not yet in the counters and histograms.
        self._answered: Batch[tuple[str, str, int, float]] = Batch(self.record_answered)

    def started(self) -> bool:
        """A request begins; whether its metrics are recorded (pass it to `finished`)."""
        if metrics := self.observing.metrics:
            IN_FLIGHT.inc()
        return metrics

    def finished(self, scope: Scope, status: int, elapsed: float, metrics: bool) -> None:
        """The request was answered with `status` in `elapsed` seconds (500 if the app failed first)."""
        if metrics:
            IN_FLIGHT.dec()
            self._answered.add((scope["method"], route_of(scope), status, elapsed))
        # The event's fields are read from the scope when it is written (log_later), within one batch.
        log_later(access_logger, logging.INFO, "request", self._access_fields, scope, status, elapsed)

    @staticmethod
    def unhandled(scope: Scope, error: Exception) -> None:
        """The app failed with `error`: one event with the traceback."""
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

    def record_answered(self) -> None:
        """Count the requests answered since the last call in the request counters and duration histograms
        (api.observability.batches says when; /metrics calls it first)."""
        for method, route, status, elapsed in self._answered.take():
            key = (method, route, status)
            series = self._series.get(key)
            if series is None:
                labels = (method, route, str(status))
                series = self._series[key] = (REQUESTS.labels(*labels), REQUEST_SECONDS.labels(*labels))
            series[0].inc()
            series[1].observe(elapsed)

    @staticmethod
    def _access_fields(scope: Scope, status: int, elapsed: float) -> dict[str, Any]:
        client = scope.get("client")
        query = scope.get("query_string")
        return {
            "method": scope["method"],
            "route": route_of(scope),
            "path": scope["path"],
            "query": redact_query(query.decode("latin-1")) if query else None,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "client": f"{client[0]}:{client[1]}" if client else None,
            "user_id": _user_id(scope),
        }
