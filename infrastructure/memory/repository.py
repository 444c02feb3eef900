"""The base of the in-memory stores: each reads and writes the staged tables of its unit of work."""

import copy
from typing import Any, Generic, Protocol, TypeVar

from infrastructure.memory.tables import MemoryStore, StagedTable, TableSpec

V = TypeVar("V")


class Staging(Protocol):
    """What a store needs of its unit of work (infrastructure.memory.unit_of_work)."""

    store: MemoryStore
    consumed_tokens: set[str]  # one-time tokens it consumed: held in the store until it ends

    def table(self, spec: TableSpec[V]) -> StagedTable[Any, V]: ...

    def insert(self, spec: TableSpec[V], key: Any, row: V) -> None: ...

    def delete(self, spec: TableSpec[Any], key: Any) -> None: ...


class Staged(Generic[V]):
    """A store's way to one table of its unit of work: `_posts = Staged(POSTS)` reads, on a store, as
    that unit of work's staged table of posts."""

    def __init__(self, spec: TableSpec[V]) -> None:
        self.spec = spec

    def __get__(self, store: "InMemoryRepository", owner: type | None = None) -> StagedTable[Any, V]:
        return store._uow.table(self.spec)


class InMemoryRepository:
    """A store: its tables are its `Staged` attributes (its unit of work stages them)."""

    def __init__(self, uow: Staging) -> None:
        self._uow = uow

    @classmethod
    def tables(cls) -> list[TableSpec[Any]]:
        return [value.spec for value in vars(cls).values() if isinstance(value, Staged)]


def copied(row: V | None) -> V | None:
    """A row as a store hands it out: a copy, which the caller may change without changing the row."""
    return copy.copy(row) if row is not None else None
