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
    """Whether `error` is a foreign-key violation of `constraint` (SQLite does not name it: where a
    statement checks several foreign keys, the caller makes sure of the others first)."""
    cause = error.orig.__cause__ if error.orig is not None else None
    if getattr(cause, "constraint_name", None) == constraint:
        return True
    return "FOREIGN KEY constraint failed" in str(error.orig)


# A statement cancelled so that something else may go on: on a read replica, by a conflict with the
# replay of the primary's changes ("canceling statement due to conflict with recovery", 40001), or a
# deadlock (40P01). Worth retrying, not a bug of the request: a 503 with Retry-After.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached (down, restarting, connection cut), cannot
    take more work now (no pooled connection free within the pool timeout), or cancelled the statement
    for a conflict that a retry gets past."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES
    return isinstance(error, OSError | TimeoutError)
