"""The in-memory unit of work: first-class, contract-tested, and what use-case unit tests run on."""

from types import TracebackType
from typing import Any, Self, TypeVar, get_type_hints

from infrastructure.memory.audit import InMemoryAuditLog
from infrastructure.memory.comments import InMemoryCommentRepository
from infrastructure.memory.idempotency import InMemoryIdempotencyRecords
from infrastructure.memory.outbox import InMemoryEventOutbox
from infrastructure.memory.posts import InMemoryPostRepository
from infrastructure.memory.recovery import InMemoryOneTimeTokenStore, InMemoryOutbox
from infrastructure.memory.repository import InMemoryRepository
from infrastructure.memory.sessions import InMemorySessionStore
from infrastructure.memory.tables import MemoryStore, StagedTable, TableSpec
from infrastructure.memory.users import InMemoryUserRepository

V = TypeVar("V")


class InMemoryUnitOfWork:
    """Works on staged copies of the store's tables; `commit` applies what changed (checked as a
    database would: all or nothing), leaving without commit drops it. Each store is one annotated
    attribute below: the unit of work builds it and stages the tables it declares."""

    users: InMemoryUserRepository
    posts: InMemoryPostRepository
    comments: InMemoryCommentRepository
    sessions: InMemorySessionStore
    audit: InMemoryAuditLog
    tokens: InMemoryOneTimeTokenStore
    outbox: InMemoryOutbox
    events: InMemoryEventOutbox
    idempotency: InMemoryIdempotencyRecords

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self._tables: dict[str, StagedTable[Any, Any]] = {}
        self.consumed_tokens: set[str] = set()  # reserved in the store until this unit of work ends
        for name, kind in _repositories(type(self)).items():
            for spec in kind.tables():
                self._tables.setdefault(spec.name, StagedTable(spec, self.store))
            setattr(self, name, kind(self))
        self._begin()

    def table(self, spec: TableSpec[V]) -> StagedTable[Any, V]:
        return self._tables[spec.name]

    def insert(self, spec: TableSpec[V], key: Any, row: V) -> None:
        """Add a row; a parent's not-found error when a parent row does not exist (a foreign key)."""
        for parent, parent_key in spec.parents:
            if parent_key(row) not in self._tables[parent.name].rows:
                raise parent.not_found(parent_key(row))
        self._tables[spec.name].rows[key] = row

    def delete(self, spec: TableSpec[Any], key: Any) -> None:
        """Remove a row and, with it, the rows of other tables that belong to it (ON DELETE CASCADE)."""
        self._tables[spec.name].rows.pop(key, None)
        for child in self._tables.values():
            for parent, parent_key in child.spec.parents:
                if parent.name == spec.name:
                    for k in [k for k, row in child.rows.items() if parent_key(row) == key]:
                        self.delete(child.spec, k)

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._begin()

    async def commit(self) -> None:
        merged = {name: table.merged() for name, table in self._tables.items()}  # raises before any change
        _drop_orphans(self._tables, merged)
        for name, rows in merged.items():
            self.store.tables[name] = rows
        self._begin()

    def _begin(self) -> None:
        self.store.consumed_tokens -= self.consumed_tokens
        self.consumed_tokens = set()
        for table in self._tables.values():
            table.begin()


_REPOSITORIES: dict[type, dict[str, type[InMemoryRepository]]] = {}


def _repositories(uow: type) -> dict[str, type[InMemoryRepository]]:
    """The stores a unit of work class declares: its attributes annotated with a store's class."""
    if uow not in _REPOSITORIES:
        hints = get_type_hints(uow)
        _REPOSITORIES[uow] = {
            name: kind
            for name, kind in hints.items()
            if isinstance(kind, type) and issubclass(kind, InMemoryRepository)
        }
    return _REPOSITORIES[uow]


def _drop_orphans(tables: dict[str, StagedTable[Any, Any]], merged: dict[str, dict[Any, Any]]) -> None:
    """Rows whose parent row another unit of work deleted meanwhile go too (as ON DELETE CASCADE)."""
    dropped = True
    while dropped:
        dropped = False
        for name, table in tables.items():
            for parent, parent_key in table.spec.parents:
                rows = merged[name]
                kept = {k: row for k, row in rows.items() if parent_key(row) in merged[parent.name]}
                if len(kept) != len(rows):
                    merged[name], dropped = kept, True
