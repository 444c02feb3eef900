"""The /metrics endpoint.

With PROMETHEUS_MULTIPROC_DIR set (several worker processes), every process writes its samples there and
/metrics aggregates them all, whichever worker answers (prometheus-client's multiprocess mode). The
variable must be set before the process starts, to an empty directory. A worker records the requests it
answered in batches (api.observability.requests): another worker's last ~50 ms may not be counted yet."""

import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response


async def metrics_endpoint(request: Request) -> Response:
    """Every metric in Prometheus' text format, of all worker processes in multiprocess mode; a 404 when
    APP_METRICS_ENABLED is false."""
    if not request.app.state.observing.metrics:
        raise HTTPException(404)
    request.app.state.request_observer.record_answered()  # this process's latest requests too
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
