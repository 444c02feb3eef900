"""Tracing's start and stop in a serving process: OpenTelemetry's SDK with the OTLP/HTTP (protobuf)
exporter, configured by the SDK itself from the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (by default
`parentbased_traceidratio` at the ratio OTEL_TRACES_SAMPLER_ARG gives, 1.0 unset), OTEL_SERVICE_NAME
(by default `users-posts`) and OTEL_RESOURCE_ATTRIBUTES.

Each app has its own TracerProvider, handed to what makes spans (nothing uses the global one), made in
the worker process that serves it: `Tracing` is built with the app (no thread), and `start`, in the
lifespan, adds the exporting processor (its thread) and instruments the database engines and the rate
limiter's Redis client. `stop` flushes what is pending within the shutdown grace period."""

import asyncio
import logging
import os
from collections.abc import Iterable, Sequence

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import PROCESS_PID, SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from infrastructure.outbox import trace_context
from infrastructure.tracing.context import current_traceparent
from infrastructure.tracing.sampling import DecidedTraceIds, ServerSpanStarter, configured_sampler
from infrastructure.tracing.statements import StatementSpans

logger = logging.getLogger(__name__)

DEFAULT_SERVICE_NAME = "users-posts"
INSTRUMENTATION_NAME = "users-posts"


def service_resource() -> Resource:
    """The resource the SDK reads from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, named
    `users-posts` when neither names the service, with the id of the (worker) process."""
    resource = Resource({PROCESS_PID: os.getpid()}).merge(Resource.create())
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


class Tracing:
    """The tracer provider of one app. `processor`: where spans go (tests hand an in-memory exporter's);
    by default a batch processor exporting over OTLP/HTTP, made at `start`."""

    def __init__(self, processor: SpanProcessor | None = None) -> None:
        # The sampler OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG name. The SDK's default (parent-based,
        # always on) would ignore a ratio set alone: ours takes it (1.0 unset).
        head, ids = configured_sampler(), DecidedTraceIds()
        self.provider = TracerProvider(
            resource=service_resource(), sampler=head.sampler if head else None, id_generator=ids
        )
        self.tracer: Tracer = self.provider.get_tracer(INSTRUMENTATION_NAME)
        self.server_spans = ServerSpanStarter(self.tracer, head, ids)
        self._processor = processor
        self._redis_clients: list[Redis] = []
        self._statements: list[StatementSpans] = []
        self._started = False

    def start(self, engines: Sequence[Engine], redis_clients: Iterable[Redis] = ()) -> None:
        """Export spans; trace the statements of `engines` and the commands of `redis_clients`; write
        the current trace context on outbox rows."""
        if self._started:
            return
        self._started = True
        self.provider.add_span_processor(self._processor or BatchSpanProcessor(OTLPSpanExporter()))
        # The instrumentation's per-engine tracer, rather than its instrumentor: the instrumentor would
        # also patch create_engine and add a `connect` span to every unit of work. The driver (asyncpg,
        # sqlite3) is not instrumented: one span per statement.
        self._statements = [StatementSpans(self.tracer, engine) for engine in engines]
        for client in redis_clients:
            RedisInstrumentor.instrument_client(client, tracer_provider=self.provider)
            self._redis_clients.append(client)
        trace_context.current_traceparent = current_traceparent
        logger.info("tracing on in process %d: spans exported as the OTEL_* variables say", os.getpid())

    async def stop(self, timeout_seconds: float) -> None:
        """Export what is pending, within `timeout_seconds`, then stop exporting."""
        if not self._started:
            return
        self._started = False
        trace_context.current_traceparent = trace_context.no_traceparent
        for client in self._redis_clients:
            RedisInstrumentor.uninstrument_client(client)
        self._redis_clients.clear()
        for statements in self._statements:
            statements.remove()
        self._statements.clear()
        # In a thread: exporting waits on the network, and the loop may still have work to finish.
        flushed = await asyncio.to_thread(self.provider.force_flush, int(timeout_seconds * 1000))
        if not flushed:
            logger.warning("tracing: spans still pending after %.1f s were dropped", timeout_seconds)
        await asyncio.to_thread(self.provider.shutdown)
