"""Alembic environment: the URL comes from the application's settings (APP_DATABASE_URL) unless a
caller passes one in `config.attributes["database_url"]`; the target is the tables' metadata."""

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.ext.asyncio import create_async_engine

from infrastructure.settings import Settings
from infrastructure.sql.tables import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

database_url: str = config.attributes.get("database_url") or Settings().database_url


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


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    try:
        asyncio.run(run_async_migrations())
    except (ArgumentError, NoSuchModuleError, DBAPIError, OSError) as error:
        # One line instead of a traceback wall: which database, and why it failed.
        shown = make_url(database_url).render_as_string(hide_password=True)
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise SystemExit(f"error: cannot migrate {shown}: {type(error).__name__}: {reason}") from None


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
