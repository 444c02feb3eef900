"""The server span of each request, when tracing is on: the one pure ASGI layer added for it (off, the
app has no such layer), outermost, so that everything the request does, the edge's access event
included, happens inside its span.

An incoming W3C `traceparent` (and `tracestate`) is honoured: the span is its child, and the sampler
(parent-based by default) follows its sampled flag. The span is named after the route template
(`GET /posts/{post_id}`) and carries the semantic conventions' HTTP attributes; its `traceparent` is
sent back on the response (by the edge, api.middleware.edge), so that a client can quote the trace id."""

from collections.abc import Callable

from opentelemetry import context, trace
from opentelemetry.trace import Span, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.edge import RESPONSE_HEADERS
from api.observability.request_ids import REQUEST_ID

TRACEPARENT_HEADER = "traceparent"
_TRACEPARENT = TRACEPARENT_HEADER.encode()
_TRACE_HEADERS = {b"traceparent": "traceparent", b"tracestate": "tracestate"}
_PROPAGATOR = TraceContextTextMapPropagator()


def _incoming(scope: Scope) -> context.Context | None:
    """The context of the caller's trace, from the request's `traceparent` and `tracestate`; None
    without a `traceparent`."""
    carrier = {}
    for name, value in scope["headers"]:
        key = _TRACE_HEADERS.get(name)
        if key is not None and key not in carrier:
            carrier[key] = value.decode("latin-1")
    if "traceparent" not in carrier:
        return None
    return _PROPAGATOR.extract(carrier, context=context.Context())


def _request_attributes(scope: Scope) -> dict[str, str | int]:
    """The semantic conventions' attributes of an HTTP server request (no query: it may hold secrets)."""
    attributes: dict[str, str | int] = {
        "http.request.method": scope["method"],
        "url.scheme": scope.get("scheme", "http"),
        "url.path": scope["path"],
        "network.protocol.version": scope.get("http_version", "1.1"),
    }
    server, client = scope.get("server"), scope.get("client")
    if server:
        attributes["server.address"], attributes["server.port"] = server[0], server[1] or 0
    if client:
        attributes["client.address"], attributes["client.port"] = client[0], client[1]
    for name, value in scope["headers"]:
        if name == b"user-agent":
            attributes["user_agent.original"] = value.decode("latin-1")
            break
    return attributes


class ServerSpans:
    """Add it outermost (after the edge), only when tracing is on. `start_span` starts the server span
    named (at first) after the method, in the caller's context, and gives its `traceparent`
    (infrastructure.tracing.sampling: without the SDK when the sampler drops it); `route_of` gives the
    template of the route that answered, or None (api.observability.requests.route_template). The edge
    must be inside it: it sends the `traceparent` back."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        start_span: Callable[[str, context.Context | None], tuple[Span, str]],
        route_of: Callable[[Scope], str | None],
    ) -> None:
        self.app = app
        self.start_span = start_span
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        # By hand rather than start_as_current_span: two context managers less per request.
        span, quoted = self.start_span(method, _incoming(scope))
        token = context.attach(trace.set_span_in_context(span))
        # Added by the edge, inside, with its own headers: no `send` wrapped for it.
        scope[RESPONSE_HEADERS] = ((_TRACEPARENT, quoted.encode("latin-1")),)
        if not span.is_recording():  # a trace the sampler dropped: only its ids are passed on
            try:
                await self.app(scope, receive, send)
            finally:
                context.detach(token)
            return
        span.set_attributes(_request_attributes(scope))
        status = 500

        async def send_answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_answer)
        except Exception as error:
            span.record_exception(error)
            raise
        finally:
            context.detach(token)
            self._finish(span, self.route_of(scope), method, status)
            span.end()

    @staticmethod
    def _finish(span: trace.Span, route: str | None, method: str, status: int) -> None:
        """What is known once the app has answered: the route, the status, the request id."""
        attributes: dict[str, AttributeValue] = {"http.response.status_code": status}
        if route is not None:
            span.update_name(f"{method} {route}")
            attributes["http.route"] = route
        request_id = REQUEST_ID.get()
        if request_id is not None:
            attributes["http.response.header.x-request-id"] = (request_id,)
        span.set_attributes(attributes)
        if status >= 500:  # a 4xx is the client's error, not the server span's
            span.set_status(StatusCode.ERROR)
