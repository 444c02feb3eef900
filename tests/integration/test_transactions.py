"""Units of work and transactions on the SQL databases: a writing unit of work runs every statement,
whatever its kind, in one transaction that leaves nothing behind unless committed; a read-only one
(asked for by name) runs without one; on SQLite, waiting past the pool timeout for the connection's turn
is unavailability (on PostgreSQL, see tests/api/test_database_outages.py)."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import TextClause, make_url, text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from application.errors import StorageUnavailable
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.engine import Database
from infrastructure.sql.tables import UserRow
from infrastructure.sql.unit_of_work import SqlUnitOfWork
from tests.factories import UserFactory


async def execute(uow: SqlUnitOfWork, statement: TextClause) -> list[tuple[object, ...]]:
    """Run a textual statement on the unit of work's session (its connection, its transaction)."""
    session = uow.session
    if isinstance(session, AsyncSession):
        result = await (await session.connection()).execute(statement)
    else:
        result = session.sync_session.connection().execute(statement)
    return [tuple(row) for row in result.all()] if result.returns_rows else []


async def add_user(database: Database, name: str = "Ada") -> int:
    async with SqlUnitOfWork(database) as uow:
        user = await uow.users.add(UserFactory(name=name))
        await uow.commit()
    assert user.id is not None
    return user.id


async def test_a_textual_update_in_a_unit_of_work_not_committed_leaves_nothing(
    sql_database: Database,
) -> None:
    user_id = await add_user(sql_database)

    async with SqlUnitOfWork(sql_database) as uow:
        await execute(uow, text(f"UPDATE \"user\" SET name = 'Changed' WHERE id = {user_id}"))
        assert (await uow.users.get(user_id)).name == "Changed"  # type: ignore[union-attr]

    async with SqlUnitOfWork(sql_database, read_only=True) as uow:
        assert (await uow.users.get(user_id)).name == "Ada"  # type: ignore[union-attr]


# For what only PostgreSQL has (row locks, transaction ids): `sql_database` of that kind alone.
on_postgres = pytest.mark.parametrize("sql_database_url", ["postgres"], indirect=True)


@pytest.fixture
async def other_connection(postgres_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own to the test's PostgreSQL database, outside the app's pool."""
    dsn = postgres_database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    yield connection
    await connection.close()


LOCK_ROW_NOW = 'SELECT id FROM "user" WHERE id = $1 FOR UPDATE NOWAIT'


@on_postgres
async def test_a_row_locked_in_a_unit_of_work_stays_locked_until_it_ends_and_no_longer(
    sql_database: Database, other_connection: asyncpg.Connection
) -> None:
    user_id = await add_user(sql_database)

    async with SqlUnitOfWork(sql_database) as uow:
        session = uow.session
        assert isinstance(session, AsyncSession)
        locked = await session.exec(select(UserRow.id).where(UserRow.id == user_id).with_for_update())
        assert locked.all() == [user_id]
        with pytest.raises(asyncpg.LockNotAvailableError):  # held by the unit of work's transaction
            async with other_connection.transaction():
                await other_connection.fetch(LOCK_ROW_NOW, user_id)

    async with other_connection.transaction():  # the unit of work ended: nothing is left locked
        assert await other_connection.fetch(LOCK_ROW_NOW, user_id) == [(user_id,)]


TRANSACTION_ID = text("SELECT txid_current()")


@on_postgres
async def test_a_writing_unit_of_work_reads_in_its_transaction_and_a_read_only_one_in_none(
    sql_database: Database,
) -> None:
    async with SqlUnitOfWork(sql_database) as uow:  # even before any write, even for a SELECT
        first, second = await execute(uow, TRANSACTION_ID), await execute(uow, TRANSACTION_ID)
    assert first == second

    async with SqlUnitOfWork(sql_database, read_only=True) as uow:  # each statement on its own
        first, second = await execute(uow, TRANSACTION_ID), await execute(uow, TRANSACTION_ID)
    assert first != second


async def test_sqlite_waiting_past_the_timeout_for_its_turn_is_unavailability(sqlite_database: str) -> None:
    database = make_database(Settings(database_url=sqlite_database, db_pool_timeout_seconds=0.2))
    try:
        async with SqlUnitOfWork(database, read_only=True):  # holds the connection's turn
            with pytest.raises(StorageUnavailable):
                async with asyncio.timeout(5):
                    async with SqlUnitOfWork(database, read_only=True):
                        pass
        async with SqlUnitOfWork(database, read_only=True) as uow:  # the turn was given back
            assert await uow.users.get(1) is None
    finally:
        await database.dispose()


async def test_a_read_only_unit_of_work_refuses_to_commit(sql_database: Database) -> None:
    async with SqlUnitOfWork(sql_database, read_only=True) as uow:
        with pytest.raises(RuntimeError, match="read-only"):
            await uow.commit()


async def test_sqlite_commits_reach_the_file_while_its_one_connection_stays_held(
    sqlite_database: str,
) -> None:
    """Units of work share one held connection: each still ends its own transaction, so a commit after
    reads and a ping is in the file for any other connection, and an uncommitted write is not."""
    database = make_database(Settings(database_url=sqlite_database))
    path = make_url(sqlite_database).database
    assert path is not None
    try:
        await database.ping()
        async with SqlUnitOfWork(database, read_only=True) as uow:
            await uow.users.get(1)
        committed = await add_user(database, "Committed")
        async with SqlUnitOfWork(database) as uow:
            await uow.users.add(UserFactory(name="Left uncommitted"))
        with sqlite3.connect(path) as other:
            names = [name for (name,) in other.execute('SELECT name FROM "user" ORDER BY id')]
        assert names == ["Committed"]
        async with SqlUnitOfWork(database, read_only=True) as uow:
            assert (await uow.users.get(committed)) is not None
    finally:
        await database.dispose()


@pytest.fixture
async def sqlite(sqlite_database: str) -> AsyncIterator[tuple[Database, str]]:
    database = make_database(Settings(database_url=sqlite_database))
    path = make_url(sqlite_database).database
    assert path is not None
    try:
        yield database, path
    finally:
        await database.dispose()


async def test_sqlite_read_only_units_of_work_keep_one_session_and_see_what_others_commit(
    sqlite: tuple[Database, str],
) -> None:
    """Reads keep their session between units of work, yet hold no transaction: another connection
    writes at once (no waiting: timeout 0), and the next read sees its commit."""
    database, path = sqlite
    async with SqlUnitOfWork(database, read_only=True) as uow:
        kept = uow.session
        assert await uow.users.get(1) is None
    with sqlite3.connect(path, timeout=0) as other:
        other.execute(
            'INSERT INTO "user" (name, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
            ("Other", "other@example.com", "x", "2026-01-01 00:00:00"),
        )
    async with SqlUnitOfWork(database, read_only=True) as uow:
        assert uow.session.sync_session is kept.sync_session
        found = await uow.users.get(1)
    assert found is not None
    assert found.name == "Other"


async def test_sqlite_a_writing_unit_of_work_ends_the_kept_read_session(sqlite: tuple[Database, str]) -> None:
    database, _ = sqlite
    async with SqlUnitOfWork(database, read_only=True) as uow:
        before = uow.session.sync_session
    await add_user(database)
    async with SqlUnitOfWork(database, read_only=True) as uow:
        assert uow.session.sync_session is not before
        assert await uow.users.get(1) is not None


async def test_sqlite_a_read_that_failed_or_loaded_table_objects_leaves_nothing_to_the_next(
    sqlite: tuple[Database, str],
) -> None:
    database, _ = sqlite
    user_id = await add_user(database)
    async with SqlUnitOfWork(database, read_only=True) as uow:
        kept = uow.session.sync_session
        assert await uow.users.get_by_email(UserFactory.build(name="Ada").email) is None
        row = (await uow.session.exec(select(UserRow).where(UserRow.id == user_id))).one()  # tracked
        assert len(kept.identity_map) == 1
    assert len(kept.identity_map) == 0
    assert row not in kept
    with pytest.raises(StorageUnavailable):  # as SQLAlchemy's OperationalError is classified
        async with SqlUnitOfWork(database, read_only=True) as uow:
            await uow.session.exec(select(UserRow).where(text("no_such_column = 1")))
    async with SqlUnitOfWork(database, read_only=True) as uow:
        assert uow.session.sync_session is not kept
