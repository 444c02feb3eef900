"""Migrations: up, down and up again on every SQL database, no drift from the tables, and the
migrated schema (not only the models) carries the domain's limits and constraints."""

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pytest
from alembic import command
from sqlalchemy import String, create_engine, inspect
from sqlalchemy.engine import Inspector, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from domain.comments import BODY_MAX_LENGTH
from domain.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH
from domain.users import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH
from infrastructure.sql.tables import metadata
from tests.databases import SQL_KINDS
from throwaway.databases import (
    POSTGRES_URL,
    SKIP_POSTGRES,
    alembic_config,
    migrate,
    off_loop,
    postgres_database,
    sqlite_url,
)

T = TypeVar("T")
OUTBOX_REVISION_BEFORE = "0a5946c1dd1d"  # the head the event outbox revision was made on
COMMENTS_REVISION_BEFORE = "798191dcfd05"  # the head the comment revision was made on


@pytest.fixture(params=SQL_KINDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each SQL kind, never migrated before."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "migrations.db")
        return
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    with postgres_database(POSTGRES_URL) as url:
        yield url


def inspected(url: str, read: Callable[[Inspector], T]) -> T:
    """What `read` finds in the database at `url`, through a connection of its own."""
    if not make_url(url).get_dialect().is_async:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return read(inspect(connection))
        finally:
            engine.dispose()

    async def run() -> T:
        async_engine = create_async_engine(url)
        try:
            async with async_engine.connect() as connection:
                return await connection.run_sync(lambda sync: read(inspect(sync)))
        finally:
            await async_engine.dispose()

    return off_loop(lambda: asyncio.run(run()))


def table_names(url: str) -> set[str]:
    return set(inspected(url, lambda inspector: inspector.get_table_names()))


class TableSchema(NamedTuple):
    columns: dict[str, Any]  # by name
    unique_constraints: list[Any]
    primary_key: Any
    foreign_keys: list[Any]
    indexes: list[Any]


def table_schema(url: str, table: str) -> TableSchema:
    """What the database at `url` has of `table`: its columns, constraints and indexes."""
    return inspected(
        url,
        lambda inspector: TableSchema(
            {column["name"]: column for column in inspector.get_columns(table)},
            inspector.get_unique_constraints(table),
            inspector.get_pk_constraint(table),
            inspector.get_foreign_keys(table),
            inspector.get_indexes(table),
        ),
    )


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    config = alembic_config(empty_database)
    expected = {table.name for table in metadata.sorted_tables}

    off_loop(lambda: command.upgrade(config, "head"))
    assert expected <= table_names(empty_database)

    off_loop(lambda: command.downgrade(config, "base"))
    assert table_names(empty_database) & expected == set()

    off_loop(lambda: command.upgrade(config, "head"))
    assert expected <= table_names(empty_database)


def test_models_and_migrations_do_not_drift(empty_database: str) -> None:
    migrate(empty_database)
    off_loop(lambda: command.check(alembic_config(empty_database)))  # raises on any drift


def test_migrated_user_table_carries_the_domain_limits(empty_database: str) -> None:
    migrate(empty_database)
    columns, uniques, pk, _, _ = table_schema(empty_database, "user")

    nullable = {name for name, column in columns.items() if column["nullable"]}
    # Only the verification time (null until the owner verifies their address) and a suspension's
    # time and reason may be missing.
    assert nullable == {"email_verified_at", "suspended_at", "suspension_reason"}
    assert isinstance(columns["name"]["type"], String)
    assert columns["name"]["type"].length == NAME_MAX_LENGTH
    assert columns["email"]["type"].length == EMAIL_MAX_LENGTH
    assert {"name": "uq_user_email", "column_names": ["email"]} in [
        {"name": u["name"], "column_names": u["column_names"]} for u in uniques
    ]
    assert pk["constrained_columns"] == ["id"]


def test_migrated_post_table_carries_the_domain_limits_and_the_cascade(empty_database: str) -> None:
    migrate(empty_database)
    columns, _, _, foreign_keys, indexes = table_schema(empty_database, "post")

    assert set(columns) == {
        "id", "title", "content", "author_id", "created_at", "updated_at", "version", "comment_count"
    }  # fmt: skip
    assert not any(column["nullable"] for column in columns.values())
    assert columns["title"]["type"].length == TITLE_MAX_LENGTH
    assert columns["content"]["type"].length == CONTENT_MAX_LENGTH
    (foreign_key,) = foreign_keys
    assert (foreign_key["constrained_columns"], foreign_key["referred_table"]) == (["author_id"], "user")
    assert foreign_key["options"].get("ondelete", "").upper() == "CASCADE"
    assert {"name": "ix_post_author_id_id", "column_names": ["author_id", "id"]} in [
        {"name": i["name"], "column_names": i["column_names"]} for i in indexes
    ]


def test_sessions_go_with_their_user_and_refresh_tokens_with_their_session(empty_database: str) -> None:
    migrate(empty_database)
    sessions = table_schema(empty_database, "auth_session").foreign_keys
    tokens = table_schema(empty_database, "refresh_token").foreign_keys

    assert [(fk["referred_table"], fk["options"].get("ondelete", "").upper()) for fk in sessions] == [
        ("user", "CASCADE")
    ]
    assert [(fk["referred_table"], fk["options"].get("ondelete", "").upper()) for fk in tokens] == [
        ("auth_session", "CASCADE")
    ]


def test_the_outbox_migration_keeps_sqlite_from_reusing_outbox_ids(tmp_path: Path) -> None:
    """The event outbox is made with AUTOINCREMENT, and mail_outbox keeps it through the revision's
    upgrade and downgrade (a batch-mode rebuild would drop it, and ids could be reused)."""
    url = sqlite_url(tmp_path / "outbox.db")

    def table_sql(name: str) -> str:
        with sqlite3.connect(tmp_path / "outbox.db") as connection:
            (sql,) = connection.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        return str(sql)

    migrate(url, OUTBOX_REVISION_BEFORE)
    before = table_sql("mail_outbox")
    migrate(url, "798191dcfd05")
    assert "AUTOINCREMENT" in table_sql("event_outbox")
    assert "AUTOINCREMENT" in table_sql("mail_outbox")
    assert "traceparent" in table_sql("mail_outbox")
    off_loop(lambda: command.downgrade(alembic_config(url), OUTBOX_REVISION_BEFORE))
    assert table_sql("mail_outbox") == before


def test_migrated_comment_table_goes_with_its_post_and_its_author(empty_database: str) -> None:
    migrate(empty_database)
    columns, _, _, foreign_keys, indexes = table_schema(empty_database, "comment")

    assert set(columns) == {"id", "post_id", "author_id", "body", "created_at", "updated_at", "version"}
    assert not any(column["nullable"] for column in columns.values())
    assert columns["body"]["type"].length == BODY_MAX_LENGTH
    assert sorted(
        (fk["constrained_columns"], fk["referred_table"], fk["options"].get("ondelete", "").upper())
        for fk in foreign_keys
    ) == [(["author_id"], "user", "CASCADE"), (["post_id"], "post", "CASCADE")]
    named = [{"name": i["name"], "column_names": i["column_names"]} for i in indexes]
    assert {"name": "ix_comment_post_id_id", "column_names": ["post_id", "id"]} in named
    assert {"name": "ix_comment_author_id", "column_names": ["author_id"]} in named


def test_the_comment_migration_keeps_sqlite_from_reusing_post_and_comment_ids(tmp_path: Path) -> None:
    """The comment table is made with AUTOINCREMENT, and the post table keeps it through the revision's
    upgrade and downgrade (its new column is added and dropped in place, not by a batch-mode rebuild);
    the posts there before count no comments."""
    path = tmp_path / "comments.db"
    url = sqlite_url(path)

    def table_sql(name: str) -> str:
        with sqlite3.connect(path) as connection:
            (sql,) = connection.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        return str(sql)

    migrate(url, COMMENTS_REVISION_BEFORE)
    before = table_sql("post")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO user (name, email, password_hash, created_at) VALUES ('a', 'a@b.c', 'h', '2026')"
        )
        connection.execute(
            "INSERT INTO post (title, content, author_id, created_at, updated_at) "
            "VALUES ('t', 'c', 1, '2026', '2026')"
        )
    migrate(url, "c0a1e2d3f4b5")
    assert "AUTOINCREMENT" in table_sql("comment")
    assert "AUTOINCREMENT" in table_sql("post")
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT comment_count FROM post").fetchall() == [(0,)]
    off_loop(lambda: command.downgrade(alembic_config(url), COMMENTS_REVISION_BEFORE))
    assert table_sql("post") == before
