"""The outbox rows' INSERT on the driver's connection (infrastructure.sql.driver_insert), on both SQL
databases: the row reads back as the session would have written it, belongs to the unit of work's
transaction (gone on rollback, even as its first statement), skips the engine's events unless it is
part of a recorded trace, and a failing one raises SQLAlchemy's error, chained to the driver's."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, exc, select
from sqlalchemy.engine import Engine

from infrastructure.outbox import trace_context
from infrastructure.sql.driver_insert import insert_row
from infrastructure.sql.engine import Database
from infrastructure.sql.mapping import table_of
from infrastructure.sql.tables import EventOutboxRow, UserRow

EVENTS = table_of(EventOutboxRow)
WHEN = datetime(2026, 12, 7, 15, 30, 1, 123456, tzinfo=UTC)


def event_row(key: str, **changes: Any) -> dict[str, Any]:
    return {
        "key": key,
        "status": "pending",
        "attempts": 0,
        "created_at": WHEN,
        "next_attempt_at": WHEN,
        "traceparent": None,
        "type": "users-posts.post.created",
        "subject": "posts/7",
        "data": '{"id": 7, "title": "ümlaut \\u2603"}',
    } | changes


@pytest.fixture
def inserts_seen(sql_database: Database) -> Iterator[list[str]]:
    """The INSERTs the engine's events see (the driver's path is not among them)."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT"):
            seen.append(statement)

    engine: Engine = sql_database.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


async def rows(database: Database) -> dict[str, Any]:
    session = await database.session(writes=False)
    try:
        result = await session.exec(select(EVENTS))  # type: ignore[call-overload]
        return {row.key: dict(row._mapping) for row in result.all()}
    finally:
        await session.close()


async def test_a_row_written_on_the_driver_reads_back_as_the_sessions_would(
    sql_database: Database, inserts_seen: list[str]
) -> None:
    session = await sql_database.session(writes=True)
    try:
        await session.exec(select(UserRow.id))  # type: ignore[call-overload]  # the unit of work has begun
        await insert_row(session, EVENTS, event_row("driver"), traced=False)
        await insert_row(session, EVENTS, event_row("session"), traced=True)
        await session.commit()
    finally:
        await session.close()

    assert len(inserts_seen) == 1  # the traced one: through the session, where its span is made
    written = await rows(sql_database)
    columns = [column.name for column in EVENTS.c if column.name not in ("id", "key")]
    assert [written["driver"][name] for name in columns] == [written["session"][name] for name in columns]
    assert written["driver"]["id"] < written["session"]["id"]


@pytest.mark.parametrize("first", [True, False], ids=["first statement", "after a statement"])
async def test_the_row_is_part_of_the_unit_of_works_transaction(sql_database: Database, first: bool) -> None:
    session = await sql_database.session(writes=True)
    try:
        if not first:
            await session.exec(select(UserRow.id))  # type: ignore[call-overload]
        await insert_row(session, EVENTS, event_row("rolled back"), traced=False)
    finally:
        await session.close()  # without commit: rolled back

    assert await rows(sql_database) == {}


async def test_a_failing_insert_raises_sqlalchemys_error_after_the_drivers(sql_database: Database) -> None:
    session = await sql_database.session(writes=True)
    try:
        await insert_row(session, EVENTS, event_row("twice"), traced=False)
        with pytest.raises(exc.DBAPIError) as raised:
            await insert_row(session, EVENTS, event_row("twice"), traced=False)
    finally:
        await session.close()

    errors: list[str] = []
    error: BaseException | None = raised.value
    while error is not None:
        errors.append(str(error).lower())
        error = error.__context__
    assert any("unique" in text for text in errors)  # the key is unique: the cause is kept


TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-"


@pytest.mark.parametrize(
    ("traceparent", "recorded"),
    [(None, False), (TRACE + "00", False), (TRACE + "02", False), (TRACE + "01", True), (TRACE + "03", True)],
)
def test_a_row_is_traced_when_its_request_is_recorded(traceparent: str | None, recorded: bool) -> None:
    assert trace_context.sampled(traceparent) is recorded
