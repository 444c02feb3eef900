"""The edge's head sampling (infrastructure.tracing.sampling): it decides as the SDK's sampler would,
keeps the ratio asked for, and makes the span of a dropped request without the SDK, as the SDK would
have made it."""

import random
from typing import Any

import pytest
from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from infrastructure.tracing.dropped import DroppedSpan, current_span
from infrastructure.tracing.sampling import (
    DecidedTraceIds,
    HeadSampler,
    ServerSpanStarter,
    configured_sampler,
)

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
PARENT_ID = 0x00F067AA0BA902B7


class CountingTracer:
    """The SDK's tracer, counting the spans it is asked to start."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer
        self.started = 0

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        self.started += 1
        return self.tracer.start_span(*args, **kwargs)


def starter(monkeypatch: pytest.MonkeyPatch, **variables: str) -> tuple[ServerSpanStarter, CountingTracer]:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    monkeypatch.delenv("OTEL_TRACES_SAMPLER_ARG", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    head, ids = configured_sampler(), DecidedTraceIds()
    provider = TracerProvider(sampler=head.sampler if head else None, id_generator=ids)
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    tracer = CountingTracer(provider.get_tracer("test"))
    return ServerSpanStarter(tracer, head, ids), tracer  # type: ignore[arg-type]


def caller(flags: str, state: str = "") -> Context:
    carrier = {"traceparent": f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-{flags}", "tracestate": state}
    return TraceContextTextMapPropagator().extract(carrier, context=Context())


def test_a_dropped_request_gets_the_sdks_non_recording_span_without_the_sdk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spans, tracer = starter(monkeypatch, OTEL_TRACES_SAMPLER_ARG="0")

    new_trace, _ = spans.start("GET", Context())
    callers_trace, _ = spans.start("GET", caller("00", "vendor=value"))

    assert tracer.started == 0
    assert isinstance(new_trace, NonRecordingSpan)
    context = new_trace.get_span_context()
    assert context.is_valid
    assert not context.trace_flags.sampled
    assert context.trace_flags.random_trace_id  # as the SDK marks the ids it draws
    followed = callers_trace.get_span_context()
    assert (followed.trace_id, followed.trace_state) == (TRACE_ID, TraceState([("vendor", "value")]))
    assert followed.span_id != PARENT_ID
    assert int(followed.trace_flags) == 0


@pytest.mark.parametrize("parent", [None, ("00", "vendor=value"), ("02", "")])
def test_a_dropped_span_quotes_its_ids_as_the_propagator_would(
    monkeypatch: pytest.MonkeyPatch, parent: tuple[str, str] | None
) -> None:
    spans, _ = starter(monkeypatch, OTEL_TRACES_SAMPLER_ARG="0")

    span, traceparent = spans.start("GET", Context() if parent is None else caller(*parent))

    assert isinstance(span, DroppedSpan)
    ids = span.get_span_context()
    assert ids == SpanContext(ids.trace_id, ids.span_id, False, ids.trace_flags, ids.trace_state)
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier, trace.set_span_in_context(span))
    assert traceparent == span.traceparent == carrier["traceparent"]
    assert span.trace_ids == (format(ids.trace_id, "032x"), format(ids.span_id, "016x"))


def test_the_current_span_is_the_one_the_api_gives() -> None:
    assert current_span() is None
    span = NonRecordingSpan(SpanContext(TRACE_ID, PARENT_ID, is_remote=True))
    token = context.attach(trace.set_span_in_context(span))
    try:
        assert current_span() is span is trace.get_current_span()
    finally:
        context.detach(token)


def test_a_kept_request_is_the_sdks_span_on_the_trace_it_was_decided_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spans, tracer = starter(monkeypatch, OTEL_TRACES_SAMPLER_ARG="0")

    child, _ = spans.start("GET", caller("01"))  # parent-based: the caller's sampled flag wins over 0

    assert tracer.started == 1
    assert child.is_recording()
    assert child.get_span_context().trace_id == TRACE_ID


def test_the_edge_decides_as_the_sdks_sampler_would(monkeypatch: pytest.MonkeyPatch) -> None:
    draw = random.Random(7)
    for sampler in ("traceidratio", "parentbased_traceidratio", "always_on", "parentbased_always_off"):
        monkeypatch.setenv("OTEL_TRACES_SAMPLER", sampler)
        monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.3")
        head = configured_sampler()
        assert isinstance(head, HeadSampler)
        for _ in range(500):
            trace_id = draw.getrandbits(128)
            flags = TraceFlags(draw.choice((0, 1)))
            for parent in (None, SpanContext(trace_id, PARENT_ID, is_remote=True, trace_flags=flags)):
                context = trace.set_span_in_context(NonRecordingSpan(parent)) if parent else Context()
                sdk = head.sampler.should_sample(context, trace_id, "GET").decision.is_sampled()  # type: ignore[no-untyped-call]
                assert head.samples(trace_id, parent) == sdk, (sampler, parent)


def test_new_traces_are_kept_at_the_ratio_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    random.seed(11)
    spans, tracer = starter(monkeypatch, OTEL_TRACES_SAMPLER_ARG="0.25")

    kept = [spans.start("GET", Context())[0] for _ in range(4000)]

    recorded = [span for span in kept if span.is_recording()]
    assert 0.22 < len(recorded) / 4000 < 0.28  # a second draw by the SDK would keep ~6 %
    assert tracer.started == len(recorded)


def test_a_sampler_the_edge_cannot_decide_for_is_left_to_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "no_such_sampler")  # the SDK's own default, with a warning
    assert configured_sampler() is None
    spans, tracer = starter(monkeypatch, OTEL_TRACES_SAMPLER="no_such_sampler")

    assert spans.start("GET", Context())[0].is_recording()
    assert tracer.started == 1


@pytest.mark.parametrize("argument", ["2", "-0.5", "half", "nan"])
def test_a_ratio_out_of_range_samples_every_trace_as_the_sdk_does(
    argument: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", argument)
    head = configured_sampler()
    assert head is not None
    assert head.bound == TraceIdRatioBased.get_bound_for_rate(1.0)
    assert "OTEL_TRACES_SAMPLER_ARG" in caplog.text
