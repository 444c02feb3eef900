"""Translate driver and SQLAlchemy errors into what the ports promise."""

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


def violates_unique(error: IntegrityError, table: str, column: str, constraint: str) -> bool:
    """Whether `error` is a unique violation of `constraint` (table.column): asyncpg names the
    constraint, SQLite names the column."""
    cause = error.orig.__cause__ if error.orig is not None else None
    if getattr(cause, "constraint_name", None) == constraint:
        return True
    return f"UNIQUE constraint failed: {table}.{column}" in str(error.orig)


def violates_foreign_key(error: IntegrityError, constraint: str) -> bool:
    """Whether `error` is a foreign-key violation of `constraint` (SQLite does not name it, and a
    statement there checks one foreign key at most in this schema)."""
    cause = error.orig.__cause__ if error.orig is not None else None
    if getattr(cause, "constraint_name", None) == constraint:
        return True
    return "FOREIGN KEY constraint failed" in str(error.orig)


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached (down, restarting, connection cut) or
    cannot take more work now (no pooled connection free within the pool timeout)."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated
    return isinstance(error, OSError | TimeoutError)
