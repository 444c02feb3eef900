"""Per-request CPU of a server span: ours (api.middleware.tracing.ServerSpans) against OpenTelemetry's
ASGI instrumentation (OpenTelemetryMiddleware without its per-message send/receive spans), around a
bare ASGI app, at a sampler ratio of 1.0 and 0.01, the spans handed to a batch processor whose exporter
drops them. The instrumentation is not a dependency:

    pip install opentelemetry-instrumentation-asgi==0.66b2 && python -m benchmarks.server_span_cost
"""

import asyncio
import os
import sys
import time
from typing import Any

from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from api.middleware.tracing import ServerSpans
from infrastructure.tracing.setup import Tracing

try:
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware  # type: ignore[import-not-found, unused-ignore]
except ImportError:
    sys.exit(
        "needs opentelemetry-instrumentation-asgi: pip install opentelemetry-instrumentation-asgi==0.66b2"
    )


class Drop(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b"{}"})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Any) -> None:
    pass


SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/users/1",
    "raw_path": b"/users/1",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk")],
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 5000),
}


async def bench(middleware: Any, n: int = 20000) -> float:
    for _ in range(n // 10):
        await middleware(dict(SCOPE), receive, send)
    t = time.process_time()
    for _ in range(n):
        await middleware(dict(SCOPE), receive, send)
    return (time.process_time() - t) / n * 1e6


async def main() -> None:
    base = await bench(app)
    print(f"bare app {base:.1f} us")
    for ratio in (1.0, 0.01):
        os.environ["OTEL_TRACES_SAMPLER_ARG"] = str(ratio)  # parent-based trace-id ratio, by default
        tracing = Tracing(BatchSpanProcessor(Drop()))
        tracing.start(engines=())
        ours = await bench(ServerSpans(app, start_span=tracing.server_spans.start, route_of=lambda s: None))
        theirs = await bench(
            OpenTelemetryMiddleware(app, tracer_provider=tracing.provider, exclude_spans=["receive", "send"])
        )
        print(f"ratio {ratio}: ours +{ours - base:.1f} us, ASGI instrumentation +{theirs - base:.1f} us")
        await tracing.stop(timeout_seconds=5)


if __name__ == "__main__":
    asyncio.run(main())
