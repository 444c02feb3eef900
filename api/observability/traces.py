"""The ids of the current span, for the log lines written inside a traced request
(api.observability.logs.include_trace_ids)."""

from infrastructure.tracing.dropped import DroppedSpan, current_span


def current_trace_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span, in hex as trace backends show them; None outside one."""
    span = current_span()
    if type(span) is DroppedSpan:  # most requests' at a ratio below 1: its ids are already in hex
        return span.trace_ids
    if span is None:
        return None
    span_context = span.get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
