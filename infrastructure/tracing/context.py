"""The W3C trace context (`traceparent`) of the work that leaves a request: written on an outbox row
with the change it announces, read back by the delivery that sends it later."""

from opentelemetry import context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from infrastructure.tracing.dropped import DroppedSpan, current_span

_PROPAGATOR = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The `traceparent` of the current span (00-<trace id>-<span id>-<flags>), None outside a span.
    What tracing's start-up sets as infrastructure.outbox.trace_context.current_traceparent."""
    span = current_span()
    if type(span) is DroppedSpan:  # a dropped request's, already written
        return span.traceparent
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_of(traceparent: str | None) -> context.Context:
    """A context whose current span is the remote one `traceparent` names (a span started in it is
    its child, sampled as it was); an empty context when there is none or it is malformed."""
    if not traceparent:
        return context.Context()
    return _PROPAGATOR.extract({"traceparent": traceparent}, context=context.Context())
