"""Throwaway databases: migrated SQLite files, and PostgreSQL databases created beside the one of
APP_TEST_POSTGRES_URL and dropped after."""

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from throwaway.processes import ROOT

T = TypeVar("T")
POSTGRES_URL = os.environ.get("APP_TEST_POSTGRES_URL")
SKIP_POSTGRES = (
    "PostgreSQL tests are off: set APP_TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test "
    "(.ci/run does when 127.0.0.1:5432 answers)"
)


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def off_loop(function: Callable[[], T]) -> T:
    """Run `function` in a thread of its own: migrations and admin statements call asyncio.run(),
    which cannot nest in the event loop a test or fixture may be running on."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(function).result()


def migrate(database_url: str, revision: str = "head") -> None:
    off_loop(lambda: command.upgrade(alembic_config(database_url), revision))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def postgres_execute(database_url: str, sql: str) -> None:
    """Run one statement on `database_url` with a connection of its own."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    off_loop(lambda: asyncio.run(execute()))


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """Create an empty database named for this run beside `base_url`'s, yield its URL, drop it."""
    url = make_url(base_url)
    name = f"test_{uuid.uuid4().hex[:12]}"
    postgres_execute(base_url, f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        postgres_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
