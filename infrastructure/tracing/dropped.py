"""The span of a request the head sampler dropped (infrastructure.tracing.sampling), and the cheap
look at the current span that the checks made on every use case, statement and log line need.

A dropped request's span is the non-recording span the SDK would have made, carrying its W3C
`traceparent` too, written once from the ids it is made of. Most requests are dropped at a ratio below
1: what quotes the trace (the response header, the log lines' ids, the outbox rows) reads that text
rather than formatting the span's context again.

It imports the tracing API only: the log lines' ids import it whether tracing is on or not."""

from typing import final

from opentelemetry import context, trace
from opentelemetry.trace import (
    DEFAULT_TRACE_STATE,
    INVALID_SPAN,
    NonRecordingSpan,
    Span,
    SpanContext,
    TraceFlags,
    TraceState,
)

# The key the tracing API keeps the current span under in a Context (a dict), as set_span_in_context
# writes it. Read directly, it spares trace.get_current_span's layers of calls and its isinstance check
# against an abstract class, which cost more than the rest of each check.
[_SPAN_KEY] = trace.set_span_in_context(INVALID_SPAN, context.Context())
# The flags in hex, by value: formatting a TraceFlags (an int subclass) costs more than the ids.
_FLAGS_HEX = tuple(f"{flags:02x}" for flags in range(256))


def current_span() -> Span | None:
    """The current span (what trace.get_current_span gives), None where there is none."""
    return context.get_current().get(_SPAN_KEY)  # type: ignore[return-value]


@final
class DroppedSpan(NonRecordingSpan):
    """A dropped trace's span, with its ids in lower-case hex, as the W3C propagator writes them:
    `trace_ids` (trace id, span id) and `traceparent` (`00-<trace id>-<span id>-<flags>`). Made by
    `dropped_span`."""

    __slots__ = ("trace_ids", "traceparent")
    trace_ids: tuple[str, str]
    traceparent: str


def current_span_is_recorded() -> bool:
    """Whether a recorded span is current: what is done now belongs to a kept trace."""
    current = current_span()
    return current is not None and current.is_recording()


def traceparent(trace_id: int, span_id: int, flags: int) -> str:
    """The W3C `traceparent` naming a span, `00-<trace id>-<span id>-<flags>` in lower-case hex."""
    return f"00-{trace_id.to_bytes(16).hex()}-{span_id.to_bytes(8).hex()}-{_FLAGS_HEX[flags]}"


def dropped_span(trace_id: int, span_id: int, flags: TraceFlags, state: TraceState | None) -> DroppedSpan:
    """The dropped span `span_id` of the trace `trace_id`: both valid ids (not 0, within 128 and 64
    bits), which is what SpanContext's constructor would check again."""
    valid = (trace_id, span_id, False, flags, DEFAULT_TRACE_STATE if state is None else state, True)
    span = DroppedSpan(tuple.__new__(SpanContext, valid))
    span.traceparent = quoted = traceparent(trace_id, span_id, flags)
    span.trace_ids = (quoted[3:35], quoted[36:52])
    return span
