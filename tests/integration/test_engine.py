"""The engine honours the pool and connection settings, and a server that never answers costs the
configured connect timeout, then a StorageUnavailable — not a hung request."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from application.errors import StorageUnavailable
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.engine import AsyncDatabase, InlineSession
from infrastructure.sql.unit_of_work import SqlUnitOfWork

UNRESOLVABLE = "postgresql+asyncpg://app:secret@db.invalid:5432/app"  # connecting could only fail


@pytest.mark.parametrize(
    "pool",
    [
        {"db_pool_size": 3, "db_max_overflow": 0, "db_pool_recycle_seconds": 60, "db_pool_pre_ping": False},
        {"db_pool_size": 25, "db_max_overflow": 5, "db_pool_recycle_seconds": -1, "db_pool_pre_ping": True},
    ],
)
async def test_pool_settings_shape_a_postgres_engine_without_connecting(pool: dict[str, Any]) -> None:
    database = make_database(Settings(database_url=UNRESOLVABLE, **pool))
    assert isinstance(database, AsyncDatabase)
    engine = database.engine
    try:
        assert isinstance(engine.pool, QueuePool)
        assert engine.pool.size() == pool["db_pool_size"]
        assert engine.pool._max_overflow == pool["db_max_overflow"]
        assert engine.pool._recycle == pool["db_pool_recycle_seconds"]
        assert engine.pool._pre_ping is pool["db_pool_pre_ping"]
        assert engine.pool.checkedin() == engine.pool.checkedout() == 0  # nothing opened
    finally:
        await database.dispose()


async def test_connect_timeout_setting_bounds_waiting_for_a_silent_server(silent_server: str) -> None:
    settings = Settings(
        database_url=f"postgresql+asyncpg://app:secret@{silent_server}/app", db_connect_timeout_seconds=0.2
    )
    database = make_database(settings)
    try:
        with pytest.raises(StorageUnavailable):  # not the TimeoutError of the outer bound below
            async with asyncio.timeout(3):  # the default (5 s) or asyncpg's own (60 s) would hit this
                async with SqlUnitOfWork(database) as uow:
                    await uow.users.get(1)  # the session connects at its first statement
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_the_default_pool_keeps_the_connections_of_16_concurrent_units_of_work(
    postgres_database_url: str,
) -> None:
    """At the concurrency `make bench` uses, no connection is opened and closed again per burst
    (an overflow connection is closed when returned: each burst past the pool size paid new ones)."""
    database = make_database(Settings(database_url=postgres_database_url))
    opened: list[object] = []
    event.listen(database.sync_engine, "connect", lambda connection, _record: opened.append(connection))
    try:
        for _ in range(2):
            units = [SqlUnitOfWork(database, read_only=True) for _ in range(16)]
            for unit in units:  # all 16 hold a connection at once
                await unit.__aenter__()
                await unit.users.get(1)
            for unit in units:
                await unit.__aexit__(None, None, None)
        assert len(opened) == 16  # the first burst's, kept for the second
    finally:
        await database.dispose()


@pytest.mark.parametrize(("setting", "pragma"), [(None, 1), ("normal", 1), ("full", 2), ("FULL", 2)])
async def test_the_sqlite_synchronous_setting_is_the_connections_pragma(
    tmp_path: Path, setting: str | None, pragma: int
) -> None:
    values: dict[str, Any] = {"sqlite_synchronous": setting} if setting else {}
    database = make_database(Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", **values))
    try:
        async with SqlUnitOfWork(database, read_only=True) as uow:
            session = uow.session
            assert isinstance(session, InlineSession)
            connection = session.sync_session.connection()
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == pragma  # 1 NORMAL, 2 FULL
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        await database.dispose()


def test_a_sqlite_synchronous_setting_other_than_normal_or_full_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(sqlite_synchronous="off")
