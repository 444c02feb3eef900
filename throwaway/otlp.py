"""A real OTLP/HTTP trace receiver for tests and benchmarks (the standard library's HTTP server, in a
thread of its own): it accepts `POST /v1/traces` with a protobuf ExportTraceServiceRequest, as the
SDK's exporter sends it, decodes it with opentelemetry-proto and keeps each span. `python -m
throwaway.otlp --port N` serves one until interrupted, printing how many spans it received."""

import argparse
import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from throwaway.processes import free_port

TRACES_PATH = "/v1/traces"
KINDS = {value: name.removeprefix("SPAN_KIND_") for name, value in Span.SpanKind.items()}


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return tuple(_value(item) for item in value.array_value.values)
    return getattr(value, which) if which else None


def _attributes(pairs: Iterator[KeyValue] | Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


@dataclass(frozen=True)
class ReceivedSpan:
    """A span as received: ids in hex (the parent's "" for a root), its kind's name (SERVER…)."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status_code: int  # 0 unset, 1 ok, 2 error
    events: tuple[str, ...]


@dataclass
class Receiver:
    port: int
    spans: list[ReceivedSpan] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        """What OTEL_EXPORTER_OTLP_ENDPOINT is set to (the exporter adds /v1/traces)."""
        return f"http://127.0.0.1:{self.port}"

    def received(self, payload: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(payload)
        spans = [
            ReceivedSpan(
                span.trace_id.hex(),
                span.span_id.hex(),
                span.parent_span_id.hex(),
                span.name,
                KINDS[span.kind],
                _attributes(span.attributes),
                _attributes(resource_spans.resource.attributes),
                span.status.code,
                tuple(event.name for event in span.events),
            )
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self.lock:
            self.requests += 1
            self.spans.extend(spans)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path != TRACES_PATH or self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_error(404 if self.path != TRACES_PATH else 415)
                return
            receiver.received(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: a benchmark sends thousands

    return Handler


@contextmanager
def otlp_receiver(port: int | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 (a free port unless given), stopped at the end."""
    receiver = Receiver(port or free_port())
    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), _handler(receiver))
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4318)
    port = parser.parse_args().port
    with otlp_receiver(port) as receiver:
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
        print(f"{len(receiver.spans)} spans in {receiver.requests} requests")


if __name__ == "__main__":
    main()
