"""An INSERT run on the driver's own connection (sqlite3's, asyncpg's), inside the unit of work's
transaction: for the rows every write adds beside its change (an event, a mail), where SQLAlchemy's
execution of a one-row INSERT (its cache lookup, parameter processing, execution context and result)
costs more than the row itself (docs/performance.md, "Events").

The statement is SQLAlchemy's, compiled once per table, columns and dialect, and its values pass
through the column types' own bind processors: the row is written exactly as the session would write
it. What the driver path skips is the engine's events, so a statement of a recorded trace goes through
the session instead, where it has its span; so does one that fails on the driver, run again through
the session to raise SQLAlchemy's error (a failed INSERT wrote nothing)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from infrastructure.sql.engine import InlineSession, UnitSession


@dataclass(frozen=True, slots=True)
class DriverInsert:
    """The INSERT of `columns` into a table, as its dialect's driver takes it: the SQL text with
    positional parameters, and for each parameter the column's name and bind processor (None: as is)."""

    sql: str
    parameters: tuple[tuple[str, Callable[[Any], Any] | None], ...]

    @classmethod
    def of(cls, table: Table, columns: tuple[str, ...], dialect: Dialect) -> "DriverInsert":
        statement = insert(table).values({name: bindparam(name) for name in columns})
        compiled = statement.compile(dialect=dialect)
        names = compiled.positiontup or ()
        processors = (table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        return cls(str(compiled), tuple(zip(names, processors, strict=True)))

    def arguments(self, row: Mapping[str, Any]) -> list[Any]:
        return [row[name] if process is None else process(row[name]) for name, process in self.parameters]


_STATEMENTS: dict[tuple[str, tuple[str, ...], str], DriverInsert] = {}
_SESSION_STATEMENTS: dict[str, Insert] = {}


def _statement(table: Table, row: Mapping[str, Any], dialect: Dialect) -> DriverInsert:
    key = (table.name, tuple(row), dialect.name)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = DriverInsert.of(table, key[1], dialect)
    return statement


def _session_statement(table: Table) -> Insert:
    # Built once: building it is a share of what the row costs.
    statement = _SESSION_STATEMENTS.get(table.name)
    if statement is None:
        statement = _SESSION_STATEMENTS[table.name] = insert(table)
    return statement


async def insert_row(session: UnitSession, table: Table, row: Mapping[str, Any], *, traced: bool) -> None:
    """Insert `row` into `table` in `session`'s transaction: on the driver's connection when that
    transaction is open there (it is once the unit of work has run a statement) and the statement is
    not `traced` (part of a recorded trace, which shows it as a span)."""
    if not traced:
        try:
            if isinstance(session, InlineSession):
                done = _on_sqlite3(session.sync_session, table, row)
            else:
                done = await _on_asyncpg(session, table, row)
        except Exception:
            # The driver's own error: the session's run raises SQLAlchemy's, chained to it.
            await session.exec(_session_statement(table), params=row)
            return
        if done:
            return
    await session.exec(_session_statement(table), params=row)


def _on_sqlite3(session: Session, table: Table, row: Mapping[str, Any]) -> bool:
    connection = session.connection()  # the unit of work began its transaction (BEGIN IMMEDIATE)
    driver = connection.connection.driver_connection
    if driver is None or not driver.in_transaction:
        return False
    statement = _statement(table, row, connection.dialect)
    driver.execute(statement.sql, statement.arguments(row))
    return True


async def _on_asyncpg(session: AsyncSession, table: Table, row: Mapping[str, Any]) -> bool:
    connection = await session.connection()
    if connection.dialect.driver != "asyncpg":
        return False
    driver = (await connection.get_raw_connection()).driver_connection
    # asyncpg begins the transaction with the unit of work's first statement: before it, the INSERT
    # would commit on its own.
    if driver is None or not driver.is_in_transaction():
        return False
    statement = _statement(table, row, connection.dialect)
    await driver.execute(statement.sql, *statement.arguments(row))
    return True
