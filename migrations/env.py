"""Alembic environment: the URL comes from the application's settings (APP_DATABASE_MIGRATION_URL, a
direct connection to PostgreSQL when the app goes through a pooler; else APP_DATABASE_URL) unless a
caller passes one in `config.attributes["database_url"]`; the target is the tables' metadata.

A database that cannot be used (malformed URL, unknown or missing driver, unreachable server, unknown
database, missing directory) ends the command with one line naming it, password hidden — not a
traceback — so that `make run` fails fast and says why."""

import asyncio
import sqlite3
from logging.config import dictConfig
from typing import Any, NoReturn

from alembic import context
from sqlalchemy import Engine, create_engine, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from infrastructure.operations.migrations import MIGRATION_LOGGING
from infrastructure.settings import InvalidSettings, database_url_problem, load_settings
from infrastructure.sql.databases import NO_PREPARED_STATEMENTS
from infrastructure.sql.tables import metadata
from infrastructure.sql.urls import shown_url

SUPPORTED_URLS = "sqlite:///path/to/app.db or postgresql+asyncpg://user:password@host:5432/db"

config = context.config
if config.attributes.get("configure_logger", True):  # the same with alembic.ini or without (a wheel)
    dictConfig(MIGRATION_LOGGING)

try:
    settings = load_settings()
except InvalidSettings as error:
    raise SystemExit(f"error: {error}") from None
database_url: str = config.attributes.get("database_url") or settings.migration_url


def _cannot_migrate(error: BaseException, hint: str = "") -> NoReturn:
    """Exit with one line instead of a traceback wall: which database, and why it failed."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines() or [""]
    message = f"error: cannot migrate {shown_url(database_url)}: {type(error).__name__}: {reason[0]}"
    raise SystemExit(message + (f" ({hint})" if hint else ""))


def _configure(**kwargs: Any) -> None:
    is_sqlite = make_url(database_url).get_backend_name() == "sqlite"
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        render_as_batch=is_sqlite,  # SQLite alters tables by copying them
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=database_url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def _engine() -> Engine | AsyncEngine:
    """The migrations' engine, on the driver the URL names (sqlite3 inline, or asyncpg); exits when
    the URL is malformed or names an unknown or missing driver."""
    if problem := database_url_problem(database_url):  # a URL passed in, not checked by the settings
        raise SystemExit(f"error: cannot migrate {shown_url(database_url)}: {problem}")
    try:
        url = make_url(database_url)
        if not url.get_dialect().is_async:
            return create_engine(url, poolclass=pool.NullPool)
        # asyncpg would otherwise wait 60 s for a server that does not answer
        connect_args = (
            {"timeout": settings.db_connect_timeout_seconds} if url.get_driver_name() == "asyncpg" else {}
        )
        if connect_args and not settings.db_prepared_statements:  # migrating through the pooler too
            connect_args |= NO_PREPARED_STATEMENTS
        return create_async_engine(url, poolclass=pool.NullPool, connect_args=connect_args)
    except (ArgumentError, ImportError, InvalidRequestError) as error:  # malformed, unknown, no driver
        _cannot_migrate(error, f"APP_DATABASE_URL should look like {SUPPORTED_URLS}")


def _check_sqlite_file_opens() -> None:
    """Open a SQLite file with the standard driver first, to report a file that cannot be opened (e.g.
    its directory is missing) in one line."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.query:
        return
    try:
        sqlite3.connect(url.database).close()  # creates the file, as migrating would
    except sqlite3.Error as error:
        _cannot_migrate(error)


async def run_async_migrations(engine: AsyncEngine) -> None:
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_sync_migrations(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            do_run_migrations(connection)
    finally:
        engine.dispose()


def run_migrations_online() -> None:
    engine = _engine()
    _check_sqlite_file_opens()
    try:
        if isinstance(engine, AsyncEngine):
            asyncio.run(run_async_migrations(engine))
        else:
            run_sync_migrations(engine)
    except (DBAPIError, OSError) as error:  # OSError: refused, unresolvable host, timeout
        _cannot_migrate(error)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
