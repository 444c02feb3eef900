"""The head sampler, and the server span it decides on before the SDK would start one.

At a ratio below 1 most requests are dropped, yet the SDK starts each one's span to learn so (its ids,
context, sampler result and span context): most of what a dropped request costs. The samplers the
standard variables name (`[parentbased_]traceidratio`, `[parentbased_]always_on`,
`[parentbased_]always_off`) decide on two things only, the trace id and the caller's sampled flag, so
the edge decides first. A dropped request gets the non-recording span the SDK would have returned (the
caller's trace id or a new one, a new span id, the flags and tracestate the SDK would set); a kept one
is started by the SDK, on the trace id the decision was made on, so that the SDK's sampler agrees. Any
other sampler (`jaeger_remote`, an entry point's) is left to the SDK, which then starts every span."""

import logging
import os
from contextvars import ContextVar
from dataclasses import dataclass
from random import getrandbits

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.environment_variables import OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Span, SpanContext, SpanKind, TraceFlags, Tracer

from infrastructure.tracing.dropped import dropped_span, traceparent

logger = logging.getLogger(__name__)

DEFAULT_SAMPLER = "parentbased_traceidratio"
# The ratio of each sampler the edge decides for; None: OTEL_TRACES_SAMPLER_ARG's.
_RATIOS: dict[str, float | None] = {"traceidratio": None, "always_on": 1.0, "always_off": 0.0}
_UNSAMPLED, _RANDOM = TraceFlags(TraceFlags.DEFAULT), TraceFlags(TraceFlags.RANDOM_TRACE_ID)


@dataclass(frozen=True, slots=True)
class HeadSampler:
    """A sampler the edge can decide for: `sampler`, the SDK's, keeps a new trace when the low 64 bits
    of its id are below `bound` (TraceIdRatioBased's rule) and, when `parent_based`, a caller's trace
    when the caller sampled it (ParentBased's rule for a remote parent)."""

    sampler: Sampler
    bound: int
    parent_based: bool

    def samples(self, trace_id: int, caller: SpanContext | None) -> bool:
        if caller is not None and self.parent_based:
            return caller.trace_flags.sampled
        return trace_id & TraceIdRatioBased.TRACE_ID_LIMIT < self.bound


def configured_sampler() -> HeadSampler | None:
    """The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name (by default
    `parentbased_traceidratio`, at 1.0 when no ratio is given), when it is one the edge decides for;
    None for the others, which the SDK builds from the same variables."""
    name = os.environ.get(OTEL_TRACES_SAMPLER, DEFAULT_SAMPLER).strip().lower()
    kind = name.removeprefix("parentbased_")
    if kind not in _RATIOS:
        return None
    ratio = _RATIOS[kind]
    root = TraceIdRatioBased(_ratio_argument() if ratio is None else ratio)
    parent_based = kind != name
    return HeadSampler(ParentBased(root) if parent_based else root, root.bound, parent_based)


def _ratio_argument() -> float:
    """OTEL_TRACES_SAMPLER_ARG as the SDK reads it: 1.0 when unset, or (with a warning) when it is not
    a number from 0 to 1."""
    argument = os.environ.get(OTEL_TRACES_SAMPLER_ARG)
    if argument is None:
        return 1.0
    try:
        ratio = float(argument)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        logger.warning(
            "tracing: %s=%r is not a ratio from 0 to 1: every trace is sampled",
            OTEL_TRACES_SAMPLER_ARG,
            argument,
        )
        return 1.0
    return ratio


class DecidedTraceIds(RandomIdGenerator):
    """The SDK's random ids, but for the new trace the edge has just kept: the id it decided on."""

    def __init__(self) -> None:
        self.decided: ContextVar[int] = ContextVar("decided_trace_id", default=0)

    def generate_trace_id(self) -> int:
        return self.decided.get() or super().generate_trace_id()


class ServerSpanStarter:
    """Starts each request's server span: the SDK's when the head sampler keeps it, the SDK's
    non-recording one, made without it, when it drops it."""

    def __init__(self, tracer: Tracer, head: HeadSampler | None, ids: DecidedTraceIds) -> None:
        self.tracer = tracer
        self.head = head
        self.ids = ids

    def start(self, name: str, parent: Context | None) -> tuple[Span, str]:
        """The server span `name`, a child of the caller's span in `parent` or of none, and its
        `traceparent`."""
        head = self.head
        if head is None:
            return self._sdk_span(name, parent)
        caller = trace.get_current_span(parent).get_span_context() if parent is not None else None
        if caller is not None and caller.is_valid:
            if head.samples(caller.trace_id, caller):
                return self._sdk_span(name, parent)
            flags = _RANDOM if caller.trace_flags.random_trace_id else _UNSAMPLED
            span = dropped_span(caller.trace_id, getrandbits(64) or _nonzero(64), flags, caller.trace_state)
            return span, span.traceparent
        # A new trace id, drawn as the SDK's RandomIdGenerator draws it (not the one last decided), without
        # its Python-level calls.
        trace_id = getrandbits(128) or _nonzero(128)
        if not head.samples(trace_id, None):
            span = dropped_span(trace_id, getrandbits(64) or _nonzero(64), _RANDOM, None)
            return span, span.traceparent
        token = self.ids.decided.set(trace_id)
        try:
            return self._sdk_span(name, parent)
        finally:
            self.ids.decided.reset(token)

    def _sdk_span(self, name: str, parent: Context | None) -> tuple[Span, str]:
        # An empty context when there is no caller: not the current one, which a test's may have set.
        context = Context() if parent is None else parent
        span = self.tracer.start_span(name, context, SpanKind.SERVER, set_status_on_exception=False)
        ids = span.get_span_context()
        return span, traceparent(ids.trace_id, ids.span_id, ids.trace_flags)


def _nonzero(bits: int) -> int:
    """A random id of `bits` bits other than 0, the invalid id (drawn again, as the SDK does)."""
    while not (drawn := getrandbits(bits)):
        pass
    return drawn
