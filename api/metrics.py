"""Prometheus metrics of the HTTP interface, and the /metrics endpoint.

With PROMETHEUS_MULTIPROC_DIR set (several worker processes), every process writes its samples there and
/metrics aggregates them all, whichever worker answers (prometheus-client's multiprocess mode). The
variable must be set before the process starts, to an empty directory."""

import os
from typing import Literal, get_args

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

UNMATCHED_ROUTE = "unmatched"  # the route label of every path no route matches

REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time from receiving a request to its last response byte",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests being answered", multiprocess_mode="livesum")

LoginOutcome = Literal["success", "bad_credentials", "throttled", "suspended"]
LOGINS = Counter("login_attempts_total", "Login attempts on POST /auth/token, by outcome", ["outcome"])
for _outcome in get_args(LoginOutcome):  # every outcome shows, at 0 until it happens
    LOGINS.labels(_outcome)


def count_login(outcome: LoginOutcome) -> None:
    LOGINS.labels(outcome).inc()


async def metrics_endpoint(request: Request) -> Response:
    """Every metric in Prometheus' text format, of all worker processes in multiprocess mode; a 404 when
    APP_METRICS_ENABLED is false."""
    if not request.app.state.observing.metrics:
        raise HTTPException(404)
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
