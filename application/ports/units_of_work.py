"""Units of work: the transaction boundary of a use case, holding one adapter of each store.

A resource's repository is one attribute here (its reader on the read-only unit of work)."""

from types import TracebackType
from typing import Protocol, Self

from application.ports.audit import AuditLog, AuditReader
from application.ports.comments import CommentReader, CommentRepository
from application.ports.events import Events
from application.ports.idempotency import IdempotencyRecords
from application.ports.mail import Outbox
from application.ports.posts import PostReader, PostRepository
from application.ports.recovery import OneTimeTokenStore
from application.ports.sessions import SessionReader, SessionStore
from application.ports.users import UserReader, UserRepository


class ReadUnitOfWork(Protocol):
    """A unit of work that only reads, asked for by name by use cases that change nothing. Adapters may
    run it without a transaction: each read sees committed data. Adapters raise
    application.errors.StorageUnavailable when the storage cannot be reached."""

    @property
    def users(self) -> UserReader: ...

    @property
    def posts(self) -> PostReader: ...

    @property
    def comments(self) -> CommentReader: ...

    @property
    def sessions(self) -> SessionReader: ...

    @property
    def audit(self) -> AuditReader: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWork(ReadUnitOfWork, Protocol):
    """One transaction over every store: every read and write in it, whatever its kind. Leaving the
    context without `commit()` rolls back.

    Reads see committed data (PostgreSQL's READ COMMITTED), so a check followed by a write must be
    backed by a constraint (the unique email) or a conditional write (`update`/`delete(if_…=…)`).
    Adapters raise application.errors.StorageUnavailable when the storage cannot be reached."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def posts(self) -> PostRepository: ...

    @property
    def comments(self) -> CommentRepository: ...

    @property
    def sessions(self) -> SessionStore: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def tokens(self) -> OneTimeTokenStore: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def idempotency(self) -> IdempotencyRecords: ...

    @property
    def events(self) -> Events: ...

    async def commit(self) -> None: ...
