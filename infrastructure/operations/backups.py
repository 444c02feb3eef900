"""Online backups of the embedded SQLite database, and their restore (`users-posts backup` / `restore`).

A backup is SQLite's backup API copying every page in one step: one read transaction, so the copy is
the database as it was at one commit, while the server goes on writing (in WAL mode a reader does not
block writers). It is written beside its destination and renamed into place once complete and checked.

A restore copies a backup into the database through the same API: one write transaction on the
destination, which every connection sees whole or not at all. A database that a running server holds
(an open connection keeps a shared lock on it in WAL mode) is refused unless `force` is given; then the
server's connections see the restored data from their next statement on. PostgreSQL is backed up with
its own tools (docs/operations.md#backups)."""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Copied:
    """What a backup or restore copied: the file, its size, and the migration it is at (or None)."""

    path: Path
    size: int
    migration: str | None


def sqlite_path(database_url: str) -> Path:
    """The file of a `sqlite:///…` URL; BackupError for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"{url.get_backend_name()} is backed up with its own tools (pg_dump or a base backup): "
            "see docs/operations.md#backups"
        )
    if url.database in (None, "", ":memory:"):
        raise BackupError("an in-memory database has nothing to back up")
    return Path(url.database)


def _connect(path: Path, timeout: float = 5.0) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def _checked(connection: sqlite3.Connection, what: str) -> str | None:
    """The migration `connection`'s database is at; BackupError unless it passes SQLite's quick check."""
    try:
        (verdict,) = connection.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{what} is not an SQLite database: {error}") from None
    if verdict != "ok":
        raise BackupError(f"{what} fails SQLite's quick check: {verdict}")
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def backup(database_url: str, destination: Path) -> Copied:
    """Copy the database of `database_url` to `destination` (which must not exist), consistently, while
    it serves. The copy is checked before it takes its name."""
    source_path = sqlite_path(database_url)
    if not source_path.exists():
        raise BackupError(f"{source_path} does not exist")
    if destination.exists():
        raise BackupError(f"{destination} exists: a backup never overwrites a file")
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(_connect(source_path)) as source, closing(_connect(partial)) as copy:
            source.backup(copy)  # every page in one step: one snapshot of the database
            migration = _checked(copy, "the copy")
        os.replace(partial, destination)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source_path}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Copied(destination, destination.stat().st_size, migration)


@contextmanager
def _exclusively(path: Path) -> Iterator[sqlite3.Connection | None]:
    """A connection to `path` holding it exclusively, or None when another connection (a running
    server's) holds it: in WAL mode every open connection keeps a shared lock that this one cannot
    take past."""
    connection = _connect(path, timeout=0)
    try:
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            connection.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:  # "database is locked"
            yield None
            return
        connection.execute("ROLLBACK")  # the lock stays: exclusive locking mode keeps it until closed
        yield connection
    finally:
        connection.close()


def restore(database_url: str, source: Path, *, force: bool = False) -> Copied:
    """Copy the backup `source` into the database of `database_url`. Refused (BackupError) when a
    running server holds that database, unless `force`: the server then sees the restored data."""
    destination = sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    with closing(_connect(source)) as backup_copy:
        migration = _checked(backup_copy, str(source))
        with _exclusively(destination) as alone:
            if alone is None and not force:
                raise BackupError(
                    f"{destination} is in use (a running server holds it): stop the server first, or "
                    "pass --force to restore into the live database"
                )
            try:
                if alone is not None:
                    backup_copy.backup(alone)
                else:
                    # Into the live database: one write transaction, waiting for the server's writes.
                    with closing(_connect(destination, timeout=30)) as live:
                        backup_copy.backup(live)
            except sqlite3.Error as error:
                raise BackupError(f"cannot restore into {destination}: {error}") from None
    return Copied(destination, destination.stat().st_size, migration)
