"""Tables in memory: the committed state every unit of work shares, and each unit of work's staged copy.

A table is a dict of rows by key. A unit of work stages its changes on a copy taken when it began and,
on commit, applies to the committed rows only what it changed since (a concurrent unit of work's
commits in between are kept). What a database checks at the writing statement or at commit is checked
here at commit: unique values, conditional writes expected to still hold, and rows whose parent row is
gone (ON DELETE CASCADE)."""

import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from application.ports.clock import Clock
from infrastructure.clock import SystemClock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class Unique(Generic[V]):
    """A unique value of a table's rows (the unique email), and the error a second row with it raises."""

    value: Callable[[V], Hashable]
    error: Callable[[V], Exception]


@dataclass(frozen=True)
class TableSpec(Generic[V]):
    """A table: its name (the store's attribute, `store.users`), the parent tables whose rows each row
    belongs to, each with the parent key a row names (a row needs its parents, and is deleted with any
    of them), its unique values, the error a missing row of it is (when a child names it), and its
    counters: fields that writes change by increments (`add_to`), as `SET n = n + 1` does, rather than
    by writing the whole row."""

    name: str
    parents: "tuple[tuple[TableSpec[Any], Callable[[V], Hashable]], ...]" = ()
    unique: tuple[Unique[V], ...] = ()
    not_found: Callable[[Hashable], Exception] = KeyError
    counters: tuple[str, ...] = ()


class MemoryStore:
    """The committed state shared by every unit of work made from it: the rows of each table by key
    (`store.users`, `store.posts`…, read by tests), the sequences that number new rows, and the clock
    that dates the rows a store writes without being given the time (events)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.tables: defaultdict[str, dict[Any, Any]] = defaultdict(dict)
        self._sequences: defaultdict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))
        # One-time tokens an open unit of work has consumed: what a row lock does in SQL, so of two
        # units of work redeeming one token, one gets it.
        self.consumed_tokens: set[str] = set()

    def __getattr__(self, name: str) -> dict[Any, Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.tables[name]

    def next_id(self, table: str) -> int:
        return next(self._sequences[table])


@dataclass
class StagedTable(Generic[K, V]):
    """One table as a unit of work sees it: `rows` (what it reads and writes), the `snapshot` of the
    committed rows it began from, and the conditional writes to check again at commit."""

    spec: TableSpec[V]
    store: MemoryStore
    rows: dict[K, V] = field(default_factory=dict)
    snapshot: dict[K, V] = field(default_factory=dict)
    expectations: list[tuple[K, Callable[[V | None], bool], Callable[[], Exception]]] = field(
        default_factory=list
    )
    increments: dict[tuple[K, str], int] = field(default_factory=dict)

    @property
    def committed(self) -> dict[K, V]:
        return self.store.tables[self.spec.name]

    def begin(self) -> None:
        self.snapshot = dict(self.committed)
        self.rows = dict(self.snapshot)
        self.expectations = []
        self.increments = {}

    def latest(self, key: K) -> V | None:
        """The row as this unit of work changed it, or else as last committed (not as when this unit
        of work began): what a conditional write compares, as a database's writing statement would."""
        row = self.rows.get(key)
        return row if row is not self.snapshot.get(key) else self.committed.get(key)

    def expect(self, key: K, holds: Callable[[V | None], bool], error: Callable[[], Exception]) -> None:
        """Check `holds(committed row)` again at commit, raising `error()` if it no longer does: a
        conditional write that a concurrent commit may have beaten."""
        self.expectations.append((key, holds, error))

    def add_to(self, key: K, counter: str, delta: int) -> None:
        """Add `delta` to a counter of a row (one of the spec's `counters`): applied at commit to the
        row as then committed, so that concurrent increments all count."""
        row = self.rows.get(key)
        if row is None:
            return
        self.rows[key] = _with(row, {counter: getattr(row, counter) + delta})
        self.increments[key, counter] = self.increments.get((key, counter), 0) + delta

    def taken(self, key: K, row: V) -> Exception | None:
        """The error of a unique value of `row` that another row of this unit of work has, if any."""
        for unique in self.spec.unique:
            value = unique.value(row)
            if any(unique.value(other) == value for k, other in self.rows.items() if k != key):
                return unique.error(row)
        return None

    def merged(self) -> dict[K, V]:
        """The committed rows with what this unit of work changed applied, checked as a database
        would at commit (unique values, expected rows); raises and changes nothing otherwise."""
        for key, holds, error in self.expectations:
            if not holds(self.committed.get(key)):
                raise error()
        changed = {
            k: self._counted(k, row) for k, row in self.rows.items() if self.snapshot.get(k) is not row
        }
        removed = self.snapshot.keys() - self.rows.keys()
        merged = {k: row for k, row in self.committed.items() if k not in removed} | changed
        for unique in self.spec.unique:
            seen: set[Hashable] = set()
            for row in merged.values():
                value = unique.value(row)
                if value in seen:
                    raise unique.error(row)
                seen.add(value)
        return merged

    def _counted(self, key: K, row: V) -> V:
        """A changed row with its counters as committed plus this unit of work's increments: a write of
        the row's other fields never overwrites a concurrent increment, and a row this unit of work only
        counted on is the row as committed (another's write of its other fields stays)."""
        committed = self.committed.get(key)
        if not self.spec.counters or committed is None:
            return row
        counters = self.spec.counters
        before = self.snapshot.get(key)
        if before is not None and _with(row, {c: getattr(before, c) for c in counters}) == before:
            row = committed
        return _with(row, {c: getattr(committed, c) + self.increments.get((key, c), 0) for c in counters})


def _with(row: V, changes: dict[str, Any]) -> V:
    """`row` (a dataclass) with `changes`."""
    changed: V = dataclasses.replace(row, **changes)  # type: ignore[type-var]
    return changed
