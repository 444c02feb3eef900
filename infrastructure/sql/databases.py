"""The database the settings name: `make_database` builds it (no connection is opened until first use).

The settings have checked that the URL names the driver that runs: `sqlite:///…` (the standard sqlite3
driver, inline on the event loop) or `postgresql+asyncpg://…`. With APP_DATABASE_REPLICA_URLS, read-only
units of work are routed to the replicas (sql/replicas.py)."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from infrastructure.settings import Settings
from infrastructure.sql.engine import AsyncDatabase, Database, InlineSqliteDatabase
from infrastructure.sql.replicas import RoutedDatabase, replica_set


def make_database(settings: Settings) -> Database:
    """Build the database access; no connection is opened until first use. The settings have checked
    that the URL names the driver that runs (`sqlite:///…` or `postgresql+asyncpg://…`). With
    APP_DATABASE_REPLICA_URLS, read-only units of work are routed to the replicas (sql/replicas.py)."""
    url = make_url(settings.database_url)
    database: Database
    if url.get_backend_name() == "sqlite":
        database = InlineSqliteDatabase(url, settings.db_pool_timeout_seconds, settings.sqlite_synchronous)
    else:
        database = AsyncDatabase(postgres_engine(url, settings))
        if settings.replica_url_list:
            # Replicas keep the pre-ping: a stopped replica is then found when a unit of work checks out its
            # connection, and that read goes to the primary instead of failing.
            replicas = [
                AsyncDatabase(postgres_engine(u, settings, pre_ping=True)) for u in settings.replica_url_list
            ]
            for replica in replicas:
                event.listen(replica.sync_engine, "handle_error", _failing_to_connect_is_a_disconnect)
            database = replica_set(database, replicas, settings)
    event.listen(database.sync_engine, "handle_error", _failing_to_connect_is_a_disconnect)
    return database


def engines(database: Database) -> list[Engine]:
    """The engines of `database`: its primary's, then its replicas' (for SQLAlchemy event listeners)."""
    replicas = database.replicas if isinstance(database, RoutedDatabase) else []
    return [database.sync_engine, *(replica.database.sync_engine for replica in replicas)]


# asyncpg's statement cache and SQLAlchemy's prepared-statement cache both off: with asyncpg >= 0.31 every
# statement is then prepared unnamed and used at once, so nothing is left on a server connection that a
# transaction-mode pooler may hand to another client before the next statement.
NO_PREPARED_STATEMENTS: dict[str, Any] = {"statement_cache_size": 0, "prepared_statement_cache_size": 0}


def postgres_engine(url: URL | str, settings: Settings, *, pre_ping: bool | None = None) -> AsyncEngine:
    """An asyncpg engine with the pool settings, in autocommit mode when no writing session holds a
    connection. `pre_ping` overrides APP_DB_POOL_PRE_PING."""
    connect_args: dict[str, Any] = {"timeout": settings.db_connect_timeout_seconds}
    if not settings.db_prepared_statements:
        connect_args |= NO_PREPARED_STATEMENTS
    return create_async_engine(
        url,
        isolation_level="AUTOCOMMIT",  # what a connection is when no writing session holds it
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=settings.db_pool_pre_ping if pre_ping is None else pre_ping,
        pool_recycle=settings.db_pool_recycle_seconds,
        connect_args=connect_args,
    )


def _failing_to_connect_is_a_disconnect(context: ExceptionContext) -> None:
    """A driver error while opening (or pre-pinging) a connection means the database cannot be
    reached, whatever its kind: asyncpg reports e.g. "database is not accepting connections",
    "database does not exist" or "too many connections" as plain server errors, which SQLAlchemy
    would not flag. Flagged, they reach the ports as StorageUnavailable (a 503), not as a 500."""
    if context.connection is None:  # no Connection yet: connecting or pinging failed
        context.is_disconnect = True
