"""Databases from settings: how units of work reach SQLite (embedded default) or PostgreSQL (asyncpg).

Both kinds hand a unit of work a connection with an async `execute`, `commit` and `close`, whose
transaction covers every write (on PostgreSQL it begins at the first one); the repositories run the
same Core statements on either."""

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy import Engine, Executable, create_engine, event, text
from sqlalchemy.engine import URL, Connection, CursorResult, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from infrastructure.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 5_000


class SqlConnection(Protocol):
    """The connection of one unit of work: what repositories and units of work use."""

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> CursorResult[Any]: ...

    async def commit(self) -> None: ...

    async def close(self) -> None:
        """Give the connection back, rolling back what was not committed."""
        ...


class Database(Protocol):
    sync_engine: Engine  # for SQLAlchemy event listeners

    async def begin(self) -> SqlConnection:
        """A connection for one unit of work; closing it rolls back what was not committed."""
        ...

    async def ping(self) -> None:
        """Run a trivial query; raises when the database cannot be reached."""
        ...

    async def dispose(self) -> None:
        """Close every pooled connection."""
        ...


def make_database(settings: Settings) -> Database:
    """Build the database access; no connection is opened until first use."""
    url = make_url(settings.database_url)
    database: Database
    if url.get_backend_name() == "sqlite":
        database = InlineSqliteDatabase(url)
    else:
        database = AsyncDatabase(
            create_async_engine(
                url,
                isolation_level="AUTOCOMMIT",  # AsyncDatabase begins transactions itself, at the first write
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_pre_ping=settings.db_pool_pre_ping,
                pool_recycle=settings.db_pool_recycle_seconds,
                connect_args={"timeout": settings.db_connect_timeout_seconds},
            )
        )
    event.listen(database.sync_engine, "handle_error", _failing_to_connect_is_a_disconnect)
    return database


def _failing_to_connect_is_a_disconnect(context: ExceptionContext) -> None:
    """A driver error while opening (or pre-pinging) a connection means the database cannot be
    reached, whatever its kind: asyncpg reports e.g. "database is not accepting connections",
    "database does not exist" or "too many connections" as plain server errors, which SQLAlchemy
    would not flag. Flagged, they reach the ports as StorageUnavailable (a 503), not as a 500."""
    if context.connection is None:  # no Connection yet: connecting or pinging failed
        context.is_disconnect = True


class AsyncDatabase:
    """A server database through an async driver (asyncpg): every call awaits the network."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sync_engine = engine.sync_engine

    async def begin(self) -> "LazyTransaction":
        return LazyTransaction(await self.engine.connect())

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


class LazyTransaction:
    """A connection whose transaction begins at its first write (INSERT, UPDATE, DELETE).

    Most units of work only read: a transaction around one SELECT would cost a BEGIN and a ROLLBACK
    round trip each, doubling the time of a read request. Reads before the first write see committed
    data statement by statement (as SQLite's driver does); races between a check and a write are left
    to constraints, as the unique email is. The engine runs in autocommit mode, so the driver itself
    opens no transaction and this class alone decides."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._in_transaction = False

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> CursorResult[Any]:
        if not self._in_transaction and getattr(statement, "is_dml", False):
            await self._connection.exec_driver_sql("BEGIN")
            self._in_transaction = True
        return await self._connection.execute(statement, parameters)

    async def commit(self) -> None:
        if self._in_transaction:
            await self._connection.exec_driver_sql("COMMIT")
            self._in_transaction = False

    async def close(self) -> None:
        try:
            if self._in_transaction:
                await self._connection.exec_driver_sql("ROLLBACK")
        except BaseException:
            await self._connection.invalidate()  # never pool a connection left inside a transaction
            raise
        finally:
            await self._connection.close()


class InlineSqliteDatabase:
    """SQLite through the standard sqlite3 driver, called inline on the event loop.

    A statement on a local SQLite file takes microseconds, less than the thread hop an async SQLite
    driver pays on every call (aiosqlite: one per execute, fetch, commit and close), so the bridge
    that costs least is none. Units of work take turns on one connection (an asyncio lock, awaited,
    never blocking the loop), which also makes each one atomic: no two transactions of this process
    ever contend for SQLite's write lock. Another process writing the same file (e.g. a migration)
    is waited for up to the busy timeout. Use PostgreSQL to serve from several processes."""

    def __init__(self, url: URL) -> None:
        in_memory = url.database in (None, "", ":memory:")
        # One connection: in memory, the database lives in it; on disk, one is all the lock lets work.
        pool: dict[str, Any] = (
            {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
            if in_memory
            else {"pool_size": 1, "max_overflow": 0}
        )
        self.engine = self.sync_engine = create_engine(url.set(drivername="sqlite"), **pool)
        self._turn = asyncio.Lock()

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    async def begin(self) -> "InlineConnection":
        await self._turn.acquire()
        try:
            connection = self.engine.connect()
        except BaseException:
            self._turn.release()
            raise
        return InlineConnection(connection, self._turn.release)

    async def ping(self) -> None:
        connection = await self.begin()
        try:
            await connection.execute(text("SELECT 1"))
        finally:
            await connection.close()

    async def dispose(self) -> None:
        self.engine.dispose()


class InlineConnection:
    """A synchronous SQLAlchemy connection behind the async interface the repositories use.

    pysqlite begins its transaction at the first write; as units of work take turns, reads before
    it cannot interleave with another unit of work's writes."""

    def __init__(self, connection: Connection, release: Callable[[], None]) -> None:
        self._connection = connection
        self._release = release

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> CursorResult[Any]:
        return self._connection.execute(statement, parameters)

    async def commit(self) -> None:
        self._connection.commit()

    async def close(self) -> None:
        try:
            self._connection.close()
        finally:
            self._release()
