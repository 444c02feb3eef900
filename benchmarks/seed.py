"""The benchmark database: our migrations for the schema, then identical deterministic data for every app.

1 000 users (`User i`, `user{i}@example.com`, one precomputed argon2 hash) and 5 000 posts, five per
user, interleaved in id order as if written over time (~50-character titles, ~500-character contents);
5 000 comments, five on each of posts 1..1 000 (the ids the benchmark's `{id}` picks), by other users,
interleaved in id order too (~280-character bodies): a post's comment page holds as many items as a
user's post page. Apps without comments ignore the table.
"""

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from throwaway import databases

USERS = 1_000
POSTS_PER_USER = 5
PASSWORD = "correct horse battery"  # every seeded user's
# pwdlib's recommended argon2id hash of PASSWORD, computed once: seeding hashes nothing.
PASSWORD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$jN8c2bzvJ1JPNf7t/eWf9Q$Ni1z63xL6PGNoTphHxBKcKt1hMnxiLUOEcq+8fN4BGY"
)
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
    "et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut "
    "aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse "
    "cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa "
    "qui officia deserunt mollit anim id est laborum. Sed ut perspiciatis unde omnis iste natus error sit "
    "voluptatem accusantium doloremque laudantium, totam rem aperiam."
)

INSERT_USER = 'INSERT INTO "user" (id, name, email, password_hash, created_at) VALUES ({})'
INSERT_POST = "INSERT INTO post (id, title, content, author_id, created_at, updated_at) VALUES ({})"
INSERT_COMMENT = "INSERT INTO comment (id, post_id, author_id, body, created_at, updated_at) VALUES ({})"
COMMENTED_POSTS = USERS  # posts 1..USERS have comments
COMMENTS_PER_POST = POSTS_PER_USER
COUNT_COMMENTS = f"UPDATE post SET comment_count = {COMMENTS_PER_POST} WHERE id <= {COMMENTED_POSTS}"


def email_of(user_id: int) -> str:
    """The email of the seeded user `user_id`."""
    return f"user{user_id}@example.com"


def users() -> Iterator[tuple[Any, ...]]:
    for i in range(1, USERS + 1):
        yield i, f"User {i}", email_of(i), PASSWORD_HASH, EPOCH + timedelta(minutes=i)


def posts() -> Iterator[tuple[Any, ...]]:
    for j in range(1, USERS * POSTS_PER_USER + 1):
        author = (j - 1) % USERS + 1
        title = f"Post {j} by user {author}: notes on a rather ordinary working day"[:50]
        content = f"Post {j}. {LOREM}"[:500]
        created = EPOCH + timedelta(days=1, seconds=37 * j)
        yield j, title, content, author, created, created + timedelta(hours=1)


def comments() -> Iterator[tuple[Any, ...]]:
    for k in range(1, COMMENTED_POSTS * COMMENTS_PER_POST + 1):
        post = (k - 1) % COMMENTED_POSTS + 1
        author = (post + k) % USERS + 1
        body = f"Comment {k} on post {post}. {LOREM}"[:280]
        created = EPOCH + timedelta(days=2, seconds=41 * k)
        yield k, post, author, body, created, created


def migrate(app_database_url: str) -> None:
    """Create the schema with our own `alembic upgrade head`; a RuntimeError when it fails, which `make
    bench` reports for that database before going on with the next."""
    try:
        databases.migrate(app_database_url)
    except Exception as error:
        raise RuntimeError(f"alembic upgrade head failed: {error}") from error


def _sqlite_text(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Datetimes the way SQLAlchemy stores them in SQLite (naive UTC text)."""
    return tuple(
        v.replace(tzinfo=None).isoformat(" ", "microseconds") if isinstance(v, datetime) else v for v in row
    )


def seed_sqlite(path: Path) -> None:
    """Migrate and fill a fresh SQLite file (left in WAL mode, as our app would leave it)."""
    path.unlink(missing_ok=True)
    migrate(f"sqlite:///{path}")
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.executemany(INSERT_USER.format(", ".join("?" * 5)), map(_sqlite_text, users()))
            connection.executemany(INSERT_POST.format(", ".join("?" * 6)), map(_sqlite_text, posts()))
            connection.executemany(INSERT_COMMENT.format(", ".join("?" * 6)), map(_sqlite_text, comments()))
            connection.execute(COUNT_COMMENTS)
        connection.execute("ANALYZE")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


@contextlib.contextmanager
def seeded_postgres(admin_url: str) -> Iterator[str]:
    """A database beside `admin_url`'s, created and seeded for the block and dropped after it; yields
    its URL (`postgresql://…`, no driver named: see `asyncpg_url`)."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    create_postgres_database(admin_url, name)
    try:
        seed_postgres(url)
        yield url
    finally:
        drop_postgres_database(admin_url, name)


def asyncpg_url(url: str) -> str:
    """`url` naming the asyncpg driver, as our app's settings require."""
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


def create_postgres_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_postgres_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_postgres(url: str) -> None:
    """Migrate and fill an empty database; `url` is a plain `postgresql://` URL."""
    import psycopg

    migrate(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    with psycopg.connect(url, autocommit=True) as connection:
        with connection.transaction(), connection.cursor() as cursor:
            cursor.executemany(INSERT_USER.format(", ".join(["%s"] * 5)), list(users()))
            cursor.executemany(INSERT_POST.format(", ".join(["%s"] * 6)), list(posts()))
            cursor.executemany(INSERT_COMMENT.format(", ".join(["%s"] * 6)), list(comments()))
            cursor.execute(COUNT_COMMENTS)
        reset_postgres(url)
        connection.execute("VACUUM ANALYZE")


def reset_postgres(url: str) -> None:
    """Drop the users a previous app registered and rewind the id sequences past the seed."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute('DELETE FROM "user" WHERE id > %s', (USERS,))
        connection.execute("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), %s)", (USERS,))
        total = USERS * POSTS_PER_USER
        connection.execute("SELECT setval(pg_get_serial_sequence('post', 'id'), %s)", (total,))
        comments = COMMENTED_POSTS * COMMENTS_PER_POST
        connection.execute("SELECT setval(pg_get_serial_sequence('comment', 'id'), %s)", (comments,))


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"
