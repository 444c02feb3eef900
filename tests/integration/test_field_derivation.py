"""A field is declared once per layer: on an entity made for this test, a field added to the dataclass
and a column added to its table are read, written and served with no other change (docs/adding-a-field.md).
The table lives in a metadata of its own, so the service's schema (and `alembic check`) never sees it."""

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import orjson
import pytest
from pydantic import BaseModel, Field
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, select

from api.schemas.builders import Source, json_builder
from domain.users import Email
from infrastructure.sql.mapping import EntityMapping, read_first


class Mood(enum.StrEnum):
    CALM = "calm"
    BUSY = "busy"


@dataclass(frozen=True, slots=True)
class Note:
    id: int | None
    owner: Email
    written_at: datetime
    mood: Mood
    text: str = ""  # the field "added": no code below names it


def _table(metadata: MetaData) -> Table:
    return Table(
        "note",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("owner", String(254), nullable=False),
        Column("written_at", DateTime(timezone=True), nullable=False),
        Column("mood", String(8), nullable=False),
        Column("text", String(100), nullable=False, server_default=""),
    )


class NoteRead(BaseModel):
    id: int = Field(examples=[1])
    owner: Annotated[str, Source("owner.value")] = Field(examples=["ada@example.com"])
    written_at: datetime = Field(examples=["2026-11-25T09:30:00Z"])
    mood: Mood = Field(examples=["calm"])
    text: str = Field(examples=["A note"])


def test_a_new_field_is_stored_read_and_served_by_name_with_no_mapping_written() -> None:
    metadata = MetaData()
    table = _table(metadata)
    notes = EntityMapping(Note, table, generated=("id",))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    written = Note(None, Email("Ada@Example.com"), datetime(2026, 1, 1, 12, tzinfo=UTC), Mood.BUSY, "hello")

    assert notes.values(written) == {
        "owner": "ada@example.com",
        "written_at": written.written_at,
        "mood": "busy",
        "text": "hello",
    }
    with engine.begin() as connection:
        connection.execute(insert(table).values(notes.values(written)))
        read = read_first(connection.execute(select(*notes.columns)), notes)

    # SQLite hands the time back naive; the mapping makes it UTC again. The enum and the Email are
    # rebuilt from their stored values.
    assert read == Note(1, Email("ada@example.com"), written.written_at, Mood.BUSY, "hello")
    assert read is not None
    served = orjson.dumps(json_builder(NoteRead)(read), option=orjson.OPT_UTC_Z)
    expected = NoteRead(
        id=1, owner="ada@example.com", written_at=written.written_at, mood=Mood.BUSY, text="hello"
    )
    assert served == expected.model_dump_json().encode()


def test_an_entity_field_without_a_column_is_refused_when_the_mapping_is_made() -> None:
    metadata = MetaData()
    table = Table("note", metadata, Column("id", Integer, primary_key=True))
    with pytest.raises(LookupError, match="no column owner, written_at, mood, text"):
        EntityMapping(Note, table)
