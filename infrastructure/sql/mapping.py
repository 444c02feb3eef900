"""Rows ↔ entities, derived from the entity's dataclass fields: a field is stored in the column of the
same name, converted by its type (an aware UTC datetime, an Email, an enum by its value); a value object
stored in several columns (a user's Suspension) is named with the columns that hold its fields. Nothing
here lists an entity's fields again: a field added to the entity and a column added to its table are
mapped both ways.

Readers are made once per tuple of column names (a result's `keys()`), as the source of one function
building the entity from a row by position, compiled once: reading a page costs what a hand-written
mapping would. Table classes never leave infrastructure.sql."""

import dataclasses
import enum
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

from sqlalchemy import Column, Table
from sqlmodel import SQLModel

from domain.users import Email

E = TypeVar("E")
RowReader = Callable[[Sequence[Any]], E]


def table_of(table_class: type[SQLModel]) -> Table:
    """The table a table class maps: what hot reads select columns of (`table_of(UserRow).c`)."""
    table: Table = table_class.__table__  # type: ignore[attr-defined]
    return table


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _optional_aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)


def _enum_reader(kind: type[enum.Enum]) -> Callable[[Any], enum.Enum]:
    # A dict lookup: calling the enum class goes through the enum machinery, once per row.
    return {member.value: member for member in kind}.__getitem__


def _value_of(member: enum.Enum | Email) -> Any:
    return member.value


def _identity(value: Any) -> Any:
    return value


def _codec(hint: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """(column → field, field → column) for a field of type `hint`."""
    optional = get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint)
    kind = next((arg for arg in get_args(hint) if arg is not type(None)), hint) if optional else hint
    if kind is datetime:
        return (_optional_aware if optional else aware), _identity
    if kind is Email:
        return Email.trusted, _value_of
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _enum_reader(kind), _value_of
    return _identity, _identity


@dataclasses.dataclass(frozen=True)
class _Part:
    """How one field of the entity is stored: in `columns` (one, of its own name, for a plain field)."""

    name: str
    columns: tuple[str, ...]
    read: Callable[[Any], Any]
    write: Callable[[Any], Any]
    value_object: type | None = None  # a field stored in several columns: built from them


class EntityMapping(Generic[E]):
    """How `entity`'s fields are stored in `table` (see the module's docstring). `generated`: fields the
    database assigns on insert (left out of `values`); `value_objects`: for a field stored in several
    columns, the column of each of its fields (`{"suspension": {"since": "suspended_at", …}}`)."""

    def __init__(
        self,
        entity: type[E],
        table: Table,
        *,
        generated: Sequence[str] = (),
        value_objects: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.entity = entity
        self.table = table
        self.generated = frozenset(generated)
        self._parts = _parts(entity, value_objects or {})
        self._readers: dict[tuple[str, ...], RowReader[E]] = {}
        missing = [c for part in self._parts for c in part.columns if c not in table.c]
        if missing:
            raise LookupError(f"{entity.__name__}: table {table.name} has no column {', '.join(missing)}")

    @property
    def columns(self) -> tuple[Column[Any], ...]:
        """The table's columns that hold the entity's fields: what a read of the entity selects."""
        return tuple(self.table.c[name] for part in self._parts for name in part.columns)

    def reader(self, names: Sequence[str]) -> RowReader[E]:
        """Entities from rows whose columns are called `names` (in any order)."""
        key = tuple(names)
        reader = self._readers.get(key)
        if reader is None:
            reader = self._readers[key] = self._compile(key)
        return reader

    def from_fields(self, fields: Mapping[str, Any]) -> E:
        """The entity from column values by name (a table object's `model_dump()`)."""
        return self.reader(tuple(fields))(tuple(fields.values()))

    def values(
        self, entity: E, *, only: Sequence[str] | None = None, exclude: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The stored fields of `entity` by column name, but the generated ones (or `only` these fields),
        and not those in `exclude`."""
        names = set(only) if only is not None else None
        values: dict[str, Any] = {}
        for part in self._parts:
            if (names is None and part.name in self.generated) or part.name in exclude:
                continue
            if names is not None and part.name not in names:
                continue
            value = getattr(entity, part.name)
            if part.value_object is None:
                values[part.columns[0]] = part.write(value)
            else:
                inner = [f.name for f in dataclasses.fields(part.value_object)]
                for field_name, column in zip(inner, part.columns, strict=True):
                    values[column] = None if value is None else getattr(value, field_name)
        return values

    def _compile(self, names: tuple[str, ...]) -> RowReader[E]:
        at = {name: index for index, name in enumerate(names)}
        scope: dict[str, Any] = {"Entity": self.entity}
        arguments = []
        # Positional arguments while the fields come in order (cheaper to pass), then keywords.
        positional = {field.name for field in _fields_of(self.entity) if not field.kw_only}
        for number, part in enumerate(self._parts):
            if any(column not in at for column in part.columns):
                positional.clear()
                continue  # not selected: the field keeps its default (and the entity says if it has one)
            read = f"read{number}"
            scope[read] = part.read
            if part.value_object is None:
                expression = (
                    f"{read}(row[{at[part.columns[0]]}])"
                    if part.read is not _identity
                    else f"row[{at[part.columns[0]]}]"
                )
            else:
                cells = ", ".join(f"row[{at[column]}]" for column in part.columns)
                expression = f"{read}(({cells},))"
            arguments.append(expression if part.name in positional else f"{part.name}={expression}")
        source = f"lambda row: Entity({', '.join(arguments)})"
        reader: RowReader[E] = eval(source, scope)
        return reader


def _parts(entity: type, value_objects: Mapping[str, Mapping[str, str]]) -> tuple[_Part, ...]:
    hints = get_type_hints(entity)
    parts = []
    for field in dataclasses.fields(entity):
        hint = hints[field.name]
        if field.name not in value_objects:
            read, write = _codec(hint)
            parts.append(_Part(field.name, (field.name,), read, write))
            continue
        kind = next(arg for arg in get_args(hint) or (hint,) if arg is not type(None))
        columns = value_objects[field.name]
        inner = [(f.name, _codec(get_type_hints(kind)[f.name])[0]) for f in dataclasses.fields(kind)]
        parts.append(
            _Part(
                field.name,
                tuple(columns[name] for name, _ in inner),
                _value_object_reader(kind, inner),
                _identity,
                kind,
            )
        )
    return tuple(parts)


def _value_object_reader(
    kind: type, inner: list[tuple[str, Callable[[Any], Any]]]
) -> Callable[[tuple[Any, ...]], Any]:
    """The value object from its columns' cells; None when its first column is NULL (no such value)."""

    def read(cells: tuple[Any, ...]) -> Any:
        if cells[0] is None:
            return None
        return kind(**{name: convert(cell) for (name, convert), cell in zip(inner, cells, strict=True)})

    return read


def read_rows(result: Any, mapping: EntityMapping[E]) -> list[E]:
    """Every row of `result` as an entity. `result: Any`: sqlmodel's `select` types a selection of more
    than four columns as if it were one, so `session.exec` claims to return a ScalarResult where it
    returns rows."""
    read = mapping.reader(tuple(result.keys()))
    return [read(row) for row in result.all()]


def read_first(result: Any, mapping: EntityMapping[E]) -> E | None:
    row = result.first()
    return mapping.reader(tuple(result.keys()))(row) if row is not None else None


def fields_of(row: SQLModel) -> dict[str, Any]:
    """The column values of a table object, by name."""
    return row.model_dump()


def _fields_of(entity: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(entity)
