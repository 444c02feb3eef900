"""Databases from settings, and the SQLModel session each unit of work holds.

- `sqlite:///path` (the standard sqlite3 driver): a `sqlmodel.Session` run inline on the event loop.
- `postgresql+asyncpg://…`: a `sqlmodel.ext.asyncio.session.AsyncSession`.

A writing session runs every statement, whatever its kind, inside one transaction that only `commit()`
makes durable. A read-only session (asked for by name: `session(writes=False)`) skips BEGIN: each of its
statements sees committed data. Waiting longer than the pool timeout for a connection raises an error
that `is_unavailable` recognises, as an unreachable database does."""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, overload

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import (
    URL,
    Connection,
    CursorResult,
    ScalarResult,
    TupleResult,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from infrastructure.sql.read_session import ReadOnlySession

SQLITE_BUSY_TIMEOUT_MS = 5_000
# In WAL mode: NORMAL syncs the log at checkpoints only, FULL at every commit as well.
_SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}
T = TypeVar("T")
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class InlineSession:
    """A `sqlmodel.Session` behind the awaitable interface of `AsyncSession`, without its thread or
    greenlet hop: on a local SQLite file a statement takes microseconds, less than any hop would.
    Closing it hands the session back through `finish(session, failed)`; `failed` tells whether a
    statement raised."""

    def __init__(self, session: Session, finish: Callable[[Session, bool], None]) -> None:
        self.sync_session = session
        self._finish = finish
        self._failed = False

    @overload
    async def exec(self, statement: SelectOfScalar[T], *, params: Params = None) -> ScalarResult[T]: ...

    @overload
    async def exec(self, statement: Select[Any], *, params: Params = None) -> TupleResult[Any]: ...

    @overload
    async def exec(self, statement: UpdateBase, *, params: Params = None) -> CursorResult[Any]: ...

    async def exec(self, statement: Executable, *, params: Params = None) -> Any:
        try:
            return self.sync_session.exec(statement, params=params)  # type: ignore[call-overload]
        except BaseException:
            self._failed = True
            raise

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    async def flush(self) -> None:
        self.sync_session.flush()

    async def commit(self) -> None:
        self.sync_session.commit()

    async def close(self) -> None:
        """End the unit of work, rolling back what was not committed, and give the database its turn back."""
        self._finish(self.sync_session, self._failed)


UnitSession = AsyncSession | InlineSession


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """A replica as the last background check saw it; `lag_seconds` None until it was reached."""

    name: str  # host:port/database, no credentials
    state: Literal["in_use", "lagging", "unreachable", "unchecked"]
    lag_seconds: float | None


class Database(Protocol):
    sync_engine: Engine  # for SQLAlchemy event listeners and pool statistics

    async def session(self, *, writes: bool) -> UnitSession:
        """A session for one unit of work. With `writes`, all its statements run in one transaction;
        without, it may skip BEGIN. Closing it rolls back what was not committed."""
        ...

    async def ping(self) -> None:
        """Run a trivial query; raises when the database cannot be reached."""
        ...

    async def dispose(self) -> None:
        """Close every pooled connection (and stop what `start` started)."""
        ...

    async def start(self) -> None:
        """Start what runs in the background while the app serves (the replica checks), if anything."""
        ...

    def replica_states(self) -> Sequence[ReplicaState]:
        """What the background checks last found of each replica; empty without replicas."""
        ...


def session_options() -> dict[str, Any]:
    # Repositories flush when they need ids and map rows to entities inside the session: nothing is
    # read from a table object after commit, so expiring them would only cost.
    return {"autoflush": False, "expire_on_commit": False}


class AsyncDatabase:
    """PostgreSQL through asyncpg: every call awaits the network."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine  # in autocommit mode: each statement on its own, no BEGIN
        self.sync_engine = engine.sync_engine
        # The same pool; a connection checked out through this one runs its statements in a transaction
        # (asyncpg sends BEGIN before the first one, whatever its kind), until commit or rollback.
        self.transactional = engine.execution_options(isolation_level="READ COMMITTED")

    async def session(self, *, writes: bool) -> AsyncSession:
        # A read-only session skips the BEGIN and ROLLBACK round trips; so does the pool's pre-ping of
        # every checkout, which asyncpg would otherwise wrap in a transaction of its own.
        if writes:
            return AsyncSession(self.transactional, **session_options())
        return ReadOnlySession(self.engine, **session_options())  # retried once on a dropped connection

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def start(self) -> None:
        return None

    def replica_states(self) -> Sequence[ReplicaState]:
        return ()


class InlineSqliteDatabase:
    """SQLite through the standard sqlite3 driver, called inline on the event loop.

    Units of work take turns on one connection (an asyncio lock, awaited, never blocking the loop),
    so no two transactions of this process contend for SQLite's write lock; waiting longer than the
    pool timeout for the turn is unavailability, as an exhausted pool is on PostgreSQL. A writing
    unit of work begins with BEGIN IMMEDIATE: its reads and writes are one transaction, and another
    process writing the same file (e.g. a migration) is waited for up to the busy timeout. Use
    PostgreSQL to serve from several processes."""

    def __init__(
        self, url: URL, turn_timeout_seconds: float, synchronous: Literal["normal", "full"] = "normal"
    ) -> None:
        in_memory = url.database in (None, "", ":memory:")
        # One connection, held from the first unit of work to dispose(): in memory the database lives
        # in it, on disk it is all the write lock lets work, and units of work bound to it skip the pool's
        # checkout and return.
        self.engine = self.sync_engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        self._turn = asyncio.Lock()
        self._turn_timeout = turn_timeout_seconds
        self._connection: Connection | None = None
        self._reads: Session | None = None  # the session of read-only units of work, between them

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # APP_SQLITE_SYNCHRONOUS: what a commit waits for (docs/operations.md#durability).
                cursor.execute(f"PRAGMA synchronous={_SYNCHRONOUS[synchronous]}")
            cursor.close()

    async def _take_turn(self) -> None:
        if self._turn.locked():  # only a wait pays for the timer
            async with asyncio.timeout(self._turn_timeout):
                await self._turn.acquire()
        else:
            await self._turn.acquire()

    async def session(self, *, writes: bool) -> InlineSession:
        await self._take_turn()
        try:
            if not writes:
                return InlineSession(self._read_session(), self._finish_read)
            self._end_reads()
            session = Session(self._held_connection(), **session_options())
        except BaseException:
            self._turn.release()
            raise
        try:
            # sqlite3 would begin only at the first INSERT/UPDATE/DELETE; reads before it and
            # statements it does not recognise would run outside the transaction.
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            session.close()
            self._turn.release()
            raise
        return InlineSession(session, self._finish_write)

    def _read_session(self) -> Session:
        # Kept from one read-only unit of work to the next, until a writing one takes its turn: making,
        # beginning and closing a session is a large part of a read. sqlite3 begins no transaction for
        # a SELECT, so each statement still sees what is committed when it runs.
        if self._reads is None:
            self._reads = Session(self._held_connection(), **session_options())
        return self._reads

    def _finish_read(self, session: Session, failed: bool) -> None:
        try:
            if failed or session.new or session.dirty or session.deleted:
                self._end_reads()  # nothing of a failed or odd unit of work is carried to the next
            elif len(session.identity_map):
                session.expunge_all()  # the table objects it read (e.g. a user by email)
        finally:
            self._turn.release()

    def _finish_write(self, session: Session, _failed: bool) -> None:
        try:
            session.close()  # rolls back what was not committed
        finally:
            self._turn.release()

    def _end_reads(self) -> None:
        if self._reads is not None:
            reads, self._reads = self._reads, None
            reads.close()

    def _held_connection(self) -> Connection:
        if self._connection is None or self._connection.invalidated:
            self._end_reads()
            self._connection = self.engine.connect()
        return self._connection

    async def ping(self) -> None:
        await self._take_turn()
        try:
            self._end_reads()
            connection = self._held_connection()
            try:
                connection.exec_driver_sql("SELECT 1")
            finally:
                connection.rollback()  # ends the transaction SQLAlchemy began: sessions begin their own
        finally:
            self._turn.release()

    async def dispose(self) -> None:
        self._end_reads()
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()

    async def start(self) -> None:
        return None

    def replica_states(self) -> Sequence[ReplicaState]:
        return ()
