"""Statement spans (infrastructure.tracing.statements): one span per statement inside a recorded span,
named and described by SQLAlchemy's instrumentation, a failed statement's marked as an error; none
outside one; and the engine keeps no event listener of its own, so an untraced statement pays no
event dispatch."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, Tracer

from infrastructure.tracing.statements import StatementSpans


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> Tracer:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


@pytest.fixture
def engine(tracer: Tracer) -> Iterator[sa.Engine]:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    statements = StatementSpans(tracer, engine)
    yield engine
    statements.remove()
    engine.dispose()


NOTE = sa.table("note", sa.column("id"), sa.column("text"))


def test_inside_a_recorded_span_each_statement_is_its_child(
    engine: sa.Engine, tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    with tracer.start_as_current_span("CreateNotes") as parent, engine.begin() as connection:
        connection.execute(sa.insert(NOTE), [{"text": "a"}, {"text": "b"}])  # executemany
        connection.execute(sa.select(NOTE).where(NOTE.c.id == 1))
        connection.exec_driver_sql("SELECT count(*) FROM note")  # no parameters

    statements = [span for span in exporter.get_finished_spans() if span.name != "CreateNotes"]
    assert [span.name for span in statements] == ["INSERT", "SELECT", "SELECT"]
    for span in statements:
        assert span.parent is not None
        assert span.parent.span_id == parent.get_span_context().span_id
        assert span.attributes is not None
        assert span.attributes["db.system"] == "sqlite"
    assert statements[1].attributes is not None
    assert "FROM note" in str(statements[1].attributes["db.statement"])


def test_a_failed_statement_is_an_error_span_and_still_fails(
    engine: sa.Engine, tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    with (
        tracer.start_as_current_span("Broken"),
        pytest.raises(sa.exc.IntegrityError),
        engine.begin() as connection,
    ):
        connection.execute(sa.insert(NOTE), {"text": None})

    (failed,) = [span for span in exporter.get_finished_spans() if span.name == "INSERT"]
    assert failed.status.status_code == StatusCode.ERROR
    assert "NOT NULL" in (failed.status.description or "")


def test_outside_a_recorded_span_statements_are_not_spans(
    engine: sa.Engine, exporter: InMemorySpanExporter
) -> None:
    with engine.begin() as connection:
        connection.execute(sa.insert(NOTE), {"text": "a"})
        assert connection.execute(sa.select(sa.func.count()).select_from(NOTE)).scalar_one() == 1

    assert exporter.get_finished_spans() == ()


def test_where_instrumentation_is_suppressed_statements_run_without_spans(
    engine: sa.Engine, tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    with tracer.start_as_current_span("Delivery"), suppress_instrumentation(), engine.begin() as connection:
        connection.execute(sa.insert(NOTE), {"text": "a"})
        assert connection.execute(sa.select(sa.func.count()).select_from(NOTE)).scalar_one() == 1

    assert [span.name for span in exporter.get_finished_spans()] == ["Delivery"]


def test_the_engine_keeps_no_event_listener_of_its_own(engine: sa.Engine) -> None:
    # Any listener of the engine's own events (cursor execution, errors, the pool's) would make every
    # statement of every connection run SQLAlchemy's event dispatch, traced or not.
    assert not engine._has_events
    assert not engine.pool.dispatch.checkout
    assert not engine.pool.dispatch.checkin
