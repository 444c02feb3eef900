"""Async engines from settings: aiosqlite (embedded default) or asyncpg."""

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from infrastructure.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 5_000


def make_engine(settings: Settings) -> AsyncEngine:
    """Build the engine; no connection is opened until first use."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(settings.database_url, url.database)
    else:
        engine = create_async_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=settings.db_pool_pre_ping,
            pool_recycle=settings.db_pool_recycle_seconds,
            connect_args={"timeout": settings.db_connect_timeout_seconds},
        )
    event.listen(engine.sync_engine, "handle_error", _failing_to_connect_is_a_disconnect)
    return engine


def _failing_to_connect_is_a_disconnect(context: ExceptionContext) -> None:
    """A driver error while opening (or pre-pinging) a connection means the database cannot be
    reached, whatever its kind: asyncpg reports e.g. "database is not accepting connections",
    "database does not exist" or "too many connections" as plain server errors, which SQLAlchemy
    would not flag. Flagged, they reach the ports as StorageUnavailable (a 503), not as a 500."""
    if context.connection is None:  # no Connection yet: connecting or pinging failed
        context.is_disconnect = True


def _sqlite_engine(database_url: str, database: str | None) -> AsyncEngine:
    """SQLite keeps the driver's own transaction handling, on purpose: pysqlite opens a (deferred)
    transaction at the first write, so a unit of work's reads before it run outside any
    transaction. Opening every transaction at `begin()` (SQLAlchemy's "serializable SQLite" recipe)
    would make a unit of work that reads then writes fail at once with "database is locked"
    whenever another one writes meanwhile — SQLite cannot wait to upgrade a read transaction; with
    `BEGIN IMMEDIATE` instead, every read would queue behind every other. As it is, a writer waits
    up to the busy timeout for the lock, and concurrent requests all succeed
    (tests/contract/test_concurrent_units_of_work.py, tests/api/test_concurrent_registration.py)."""
    in_memory = database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {}
    if in_memory:  # one shared connection, or every connection would see its own empty database
        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    engine = create_async_engine(database_url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


async def ping(engine: AsyncEngine) -> None:
    """Run a trivial query; raises when the database cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
