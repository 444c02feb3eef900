"""The base of the in-memory stores: each reads and writes the staged tables of its unit of work."""

import copy
from typing import Any, ClassVar, Protocol, TypeVar

from infrastructure.memory.tables import MemoryStore, StagedTable, TableSpec

V = TypeVar("V")


class Staging(Protocol):
    """What a store needs of its unit of work (infrastructure.memory.unit_of_work)."""

    store: MemoryStore
    consumed_tokens: set[str]  # one-time tokens it consumed: held in the store until it ends

    def table(self, spec: TableSpec[V]) -> StagedTable[Any, V]: ...

    def delete(self, spec: TableSpec[Any], key: Any) -> None: ...


class InMemoryRepository:
    """`tables`: the tables this store keeps (its unit of work stages them)."""

    tables: ClassVar[tuple[TableSpec[Any], ...]] = ()

    def __init__(self, uow: Staging) -> None:
        self._uow = uow


def copied(row: V | None) -> V | None:
    """A row as a store hands it out: a copy, which the caller may change without changing the row."""
    return copy.copy(row) if row is not None else None
