"""The trace context an outbox row is written with, so that its delivery can be tied to the request
that wrote it.

`current_traceparent` is the hook: it gives the W3C `traceparent` of the span current where an outbox
row is written, or None. It returns None until tracing replaces it (assign a function to
`infrastructure.outbox.trace_context.current_traceparent` at start-up); writers look it up at each call,
so the replacement takes effect everywhere."""

from collections.abc import Callable


def no_traceparent() -> str | None:
    return None


current_traceparent: Callable[[], str | None] = no_traceparent


def sampled(traceparent: str | None) -> bool:
    """Whether `traceparent` names a trace its sampler kept (its sampled flag is set): what happens
    inside one is recorded."""
    return traceparent is not None and int(traceparent[-2:], 16) & 1 == 1
