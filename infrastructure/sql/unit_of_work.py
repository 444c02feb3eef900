"""SqlUnitOfWork: one SQLModel session per use-case call, its repositories sharing it.

A writing unit of work runs all its statements in one transaction, committed by `commit()` and rolled
back otherwise. A read-only one (`read_only=True`, what read use cases ask for by name) may skip BEGIN,
and has nothing to commit."""

from contextlib import suppress
from types import TracebackType
from typing import Self

from application.errors import StorageUnavailable
from infrastructure.events.queue import NO_EVENTS, EventRecording, NoEvents
from infrastructure.outbox.signal import DeliverySignal
from infrastructure.sql.comments import SqlCommentRepository
from infrastructure.sql.driver_errors import is_unavailable
from infrastructure.sql.engine import Database, UnitSession
from infrastructure.sql.idempotency import SqlIdempotencyRecords
from infrastructure.sql.outbox import SqlEventOutbox
from infrastructure.sql.recovery import SqlOneTimeTokenStore, SqlOutbox
from infrastructure.sql.repositories import (
    SqlAuditLog,
    SqlPostRepository,
    SqlSessionStore,
    SqlUserRepository,
)


class SqlUnitOfWork:
    users: SqlUserRepository
    posts: SqlPostRepository
    comments: SqlCommentRepository
    tokens: SqlOneTimeTokenStore
    outbox: SqlOutbox
    events: SqlEventOutbox | NoEvents
    sessions: SqlSessionStore
    audit: SqlAuditLog
    idempotency: SqlIdempotencyRecords

    def __init__(
        self,
        database: Database,
        *,
        read_only: bool = False,
        mail_signal: DeliverySignal | None = None,
        events: EventRecording | None = None,
    ) -> None:
        self._database = database
        self._read_only = read_only
        self._mail_signal = mail_signal  # rung when a commit wrote mail: the delivery loop sends it now
        self._events = events  # None: no broker, no events written
        self._session: UnitSession | None = None

    @property
    def session(self) -> UnitSession:
        """The session of this unit of work (inside `async with` only)."""
        assert self._session is not None, "the session exists inside `async with` only"
        return self._session

    async def __aenter__(self) -> Self:
        try:
            self._session = await self._database.session(writes=not self._read_only)
        except Exception as error:
            if is_unavailable(error):
                raise StorageUnavailable("the database cannot be reached") from error
            raise
        self.users = SqlUserRepository(self._session)
        self.posts = SqlPostRepository(self._session)
        self.comments = SqlCommentRepository(self._session)
        self.sessions = SqlSessionStore(self._session)
        self.audit = SqlAuditLog(self._session)
        if not self._read_only:  # reads never touch tokens, mail or events: nothing more to make for them
            self.tokens = SqlOneTimeTokenStore(self._session)
            self.outbox = SqlOutbox(self._session)
            self.events = SqlEventOutbox(self._session, self._events.clock) if self._events else NO_EVENTS
            self.idempotency = SqlIdempotencyRecords(self._session, self._database.sync_engine.dialect.name)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()  # closing rolls back whatever was not committed
        if exc is not None and is_unavailable(exc):
            raise StorageUnavailable("the database cannot be reached") from exc

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work has nothing to commit")
        await self.session.commit()
        if self.outbox.added and self._mail_signal is not None:
            self._mail_signal.notify()
        if self.events.added and self._events is not None:
            self._events.signal.notify()

    async def _close(self) -> None:
        # With the database gone, closing may fail too; the original error is the one to report.
        if self._session is not None:
            with suppress(Exception):
                await self._session.close()
            self._session = None


def read_only_unit_of_work(database: Database) -> SqlUnitOfWork:
    return SqlUnitOfWork(database, read_only=True)
