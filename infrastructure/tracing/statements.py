"""A span per database statement: SQLAlchemy's instrumentation (its EngineTracer makes and names the
spans, with their attributes), hooked to the dialect's execution rather than to the engine's events.

An engine with any listener of its own runs SQLAlchemy's event dispatch around every statement of
every connection, before and after it, whatever the listeners do: the instrumentation's own hooks
(cursor execution, errors, and four pool events for a metric) made every statement dearer, traced or
not (docs/decisions/0012). The dialect's `do_execute` events cost one listener call, which returns at
once unless a recorded span is current: a statement is a span only inside a recorded one (a
request's or a delivery's), never in a trace the sampler dropped, nor outside any span (the delivery
loops' own statements), nor where instrumentation is suppressed. No connection-usage metric: the pool
has its Prometheus metrics."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpUpDownCounter
from opentelemetry.trace import Status, StatusCode, Tracer
from sqlalchemy import event
from sqlalchemy.engine import Engine

from infrastructure.tracing.dropped import current_span_is_recorded

_EVENTS = ("do_execute", "do_execute_no_params", "do_executemany")


class StatementSpans(EngineTracer):
    """The statements of `engine` as spans of `tracer`, until `remove`."""

    def __init__(self, tracer: Tracer, engine: Engine) -> None:
        self._engine = engine
        super().__init__(tracer, engine, NoOpUpDownCounter("db.client.connections.usage"))  # type: ignore[no-untyped-call]
        self._listeners: list[tuple[str, Callable[..., bool | None]]] = [
            ("do_execute", self._execute),
            ("do_execute_no_params", self._execute_no_params),
            ("do_executemany", self._executemany),
        ]
        for name, listener in self._listeners:
            event.listen(engine, name, listener)

    @classmethod
    def _register_event_listener(cls, *_args: Any, **_kwargs: Any) -> None:
        """Not the engine's events (the module's docstring says why): the dialect's, in __init__."""

    def remove(self) -> None:
        for name, listener in self._listeners:
            event.remove(self._engine, name, listener)

    def _execute(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
        if not current_span_is_recorded():
            return None  # SQLAlchemy executes it
        with self._span(context, cursor, statement, parameters, many=False) as statement:
            context.dialect.do_execute(cursor, statement, parameters, context)
        return True  # executed: SQLAlchemy does not execute it again

    def _execute_no_params(self, cursor: Any, statement: str, context: Any) -> bool | None:
        if not current_span_is_recorded():
            return None
        with self._span(context, cursor, statement, (), many=False) as statement:
            context.dialect.do_execute_no_params(cursor, statement, context)
        return True

    def _executemany(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
        if not current_span_is_recorded():
            return None
        with self._span(context, cursor, statement, parameters, many=True) as statement:
            context.dialect.do_executemany(cursor, statement, parameters, context)
        return True

    @contextmanager
    def _span(
        self, context: Any, cursor: Any, statement: str, parameters: Any, *, many: bool
    ) -> Iterator[str]:
        """The statement's span, named and described by the instrumentation, around its execution;
        yields the statement to run (the same: no SQL comment is added)."""
        statement, _ = self._before_cur_exec(
            context.root_connection, cursor, statement, parameters, context, many
        )  # type: ignore[no-untyped-call]
        span: trace.Span | None = getattr(context, "_otel_span", None)  # None: instrumentation suppressed
        if span is None:
            yield statement
            return
        try:
            yield statement
        except BaseException as error:
            span.set_status(Status(StatusCode.ERROR, str(error)))
            raise
        finally:
            span.end()
