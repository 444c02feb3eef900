"""The scale-out settings and the pieces of read routing that need no server: replica URLs, the migration
URL, the caller's id read from a bearer token, the bounded map of recent writes, WAL positions."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from api.middleware.read_your_writes import token_subject
from application.ports.security import TokenClaims
from infrastructure.clock import SystemClock
from infrastructure.security.tokens import JwtTokenService
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.engine import AsyncDatabase
from infrastructure.sql.recent_writes import RecentWrites
from infrastructure.sql.replicas import RoutedDatabase, parse_lsn

PRIMARY = "postgresql+asyncpg://app:secret@primary.invalid:5432/app"


def test_replica_urls_are_a_comma_separated_list_of_postgres_urls() -> None:
    settings = Settings(
        database_url=PRIMARY,
        database_replica_urls=" postgresql+asyncpg://app@r1.invalid/app ,postgresql+asyncpg://app@r2.invalid/app,",
    )
    assert settings.replica_url_list == [
        "postgresql+asyncpg://app@r1.invalid/app",
        "postgresql+asyncpg://app@r2.invalid/app",
    ]
    assert Settings(database_url=PRIMARY).replica_url_list == []


@pytest.mark.parametrize(
    ("primary", "replicas", "says"),
    [
        ("sqlite:///./app.db", "postgresql+asyncpg://app@r1.invalid/app", "needs a PostgreSQL"),
        (PRIMARY, "postgresql://app@r1.invalid/app", r"use postgresql\+asyncpg"),
        (PRIMARY, "not a url", "not a database URL"),
    ],
)
def test_replicas_need_postgres_urls_on_asyncpg_and_a_postgres_primary(
    primary: str, replicas: str, says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        Settings(database_url=primary, database_replica_urls=replicas)


async def test_with_replicas_the_database_routes_and_without_it_does_not() -> None:
    plain = make_database(Settings(database_url=PRIMARY))
    routed = make_database(
        Settings(database_url=PRIMARY, database_replica_urls=PRIMARY.replace("primary", "r1"))
    )
    try:
        assert isinstance(plain, AsyncDatabase)
        assert isinstance(routed, RoutedDatabase)
        assert [replica.name for replica in routed.replica_states()] == ["r1.invalid:5432/app"]
        assert routed.replica_states()[0].state == "unchecked"  # until the first check: reads on the primary
    finally:
        await plain.dispose()
        await routed.dispose()


@pytest.mark.parametrize("prepared", [True, False])
async def test_prepared_statements_off_turns_off_both_statement_caches(
    postgres_database_url: str, prepared: bool
) -> None:
    database = make_database(Settings(database_url=postgres_database_url, db_prepared_statements=prepared))
    assert isinstance(database, AsyncDatabase)
    try:
        async with database.engine.connect() as connection:
            adapted = (await connection.get_raw_connection()).dbapi_connection
            assert (adapted._prepared_statement_cache is not None) is prepared  # type: ignore[union-attr]
            driver = adapted.driver_connection  # type: ignore[union-attr]
            assert (driver._stmt_cache.get_max_size() > 0) is prepared
    finally:
        await database.dispose()


def test_the_migration_url_defaults_to_the_database_url() -> None:
    assert Settings(database_url=PRIMARY).migration_url == PRIMARY
    direct = PRIMARY.replace("primary", "direct")
    assert Settings(database_url=PRIMARY, database_migration_url=direct).migration_url == direct


def test_the_caller_id_is_the_subject_of_a_bearer_token() -> None:
    tokens = JwtTokenService("k" * 48, timedelta(minutes=5), SystemClock(), "users-posts", "users-posts")
    token = tokens.issue(TokenClaims(42, "stamp", "a-session-id")).access_token
    assert token_subject(f"Bearer {token}".encode()) == "42"
    assert token_subject(f"bearer {token}".encode()) == "42"


@pytest.mark.parametrize(
    "header",
    [
        b"",
        b"Basic dXNlcjpwYXNz",
        b"Bearer not-a-jwt",
        b"Bearer a.!!!.c",
        b"Bearer a.e30.c",
        b"Bearer " + b"a" * 5000,
    ],
)
def test_no_caller_id_from_anything_else(header: bytes) -> None:
    assert token_subject(header) is None


def test_recent_writes_wait_for_the_highest_position_until_they_expire() -> None:
    writes = RecentWrites()
    writes.record(["user:1", "address:a"], 100, until=10.0)
    writes.record(["address:a"], 200, until=12.0)
    assert writes.required(["user:1"], now=5.0) == (True, 100)
    assert writes.required(["user:1", "address:a"], now=5.0) == (True, 200)
    assert writes.required(["user:2"], now=5.0) == (False, None)
    assert writes.required(["user:1", "address:a"], now=11.0) == (True, 200)  # user:1's has expired
    assert writes.required(["user:1", "address:a"], now=12.0) == (False, None)


def test_a_write_of_unknown_position_sends_the_caller_to_the_primary() -> None:
    writes = RecentWrites()
    writes.record(["user:1"], None, until=10.0)
    assert writes.required(["user:1"], now=1.0) == (True, None)


def test_recent_writes_are_bounded_forgetting_the_oldest() -> None:
    writes = RecentWrites(limit=2)
    for key in ("a", "b", "c"):
        writes.record([key], 1, until=10.0)
    assert [writes.required([key], now=0.0)[0] for key in ("a", "b", "c")] == [False, True, True]


def test_wal_positions_compare_as_numbers() -> None:
    assert parse_lsn("0/16B3748") < parse_lsn("0/16B3750") < parse_lsn("1/0") < parse_lsn("16/B374D848")
