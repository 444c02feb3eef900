"""The raw ceiling: the same endpoints and JSON in bare Starlette + the driver + orjson.

No validation framework, no ORM, no DI: hand-written SQL on `sqlite3` (one connection, queried on the
event loop) or an `asyncpg` pool. It bounds what any Python app can do on this stack. The database URL
comes from BENCH_DATABASE_URL (`sqlite:///path` or `postgresql://…`, a `+driver` suffix is ignored).
"""

import functools
import os
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from pwdlib import PasswordHash
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "sqlite:///database.db")
IS_SQLITE = DATABASE_URL.startswith("sqlite")
USER_COLUMNS = "id, name, email, created_at"
POST_COLUMNS = "id, title, content, author_id, created_at, updated_at"
password_hash = PasswordHash.recommended()


class Database:
    """The few queries the endpoints need, on SQLite or PostgreSQL."""

    sqlite: sqlite3.Connection
    pool: asyncpg.Pool

    async def open(self) -> None:
        if IS_SQLITE:
            self.sqlite = sqlite3.connect(DATABASE_URL.split("///", 1)[1], check_same_thread=False)
            self.sqlite.execute("PRAGMA foreign_keys=ON")
        else:
            dsn = "postgresql://" + DATABASE_URL.split("://", 1)[1]
            self.pool = await asyncpg.create_pool(dsn, min_size=4, max_size=16)

    async def close(self) -> None:
        if IS_SQLITE:
            self.sqlite.close()
        else:
            await self.pool.close()

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Rows as dicts; `$n` placeholders (rewritten to `?` for SQLite)."""
        if not IS_SQLITE:
            return [dict(row) for row in await self.pool.fetch(sql, *args)]
        cursor = self.sqlite.execute(_qmarks(sql), args)
        names = [column[0] for column in cursor.description]
        return [_sqlite_row(names, row) for row in cursor.fetchall()]

    async def insert_user(self, name: str, email: str, hashed: str) -> dict[str, Any] | None:
        """The new user, or None when the email is taken."""
        sql = (
            'INSERT INTO "user" (name, email, password_hash, created_at) '
            f"VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
        )
        now = datetime.now(UTC)
        try:
            if not IS_SQLITE:
                return dict(await self.pool.fetchrow(sql, name, email, hashed, now))
            with self.sqlite:
                created_at = now.replace(tzinfo=None).isoformat(" ", "microseconds")
                cursor = self.sqlite.execute(_qmarks(sql), (name, email, hashed, created_at))
                return _sqlite_row([c[0] for c in cursor.description], cursor.fetchone())
        except (sqlite3.IntegrityError, asyncpg.UniqueViolationError):
            return None


@functools.cache
def _qmarks(sql: str) -> str:
    for n in range(4, 0, -1):
        sql = sql.replace(f"${n}", "?")
    return sql


def _sqlite_row(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(names, row, strict=True))
    for key in ("created_at", "updated_at"):
        if key in item:
            item[key] = datetime.fromisoformat(item[key]).replace(tzinfo=UTC)  # stored as naive UTC
    return item


db = Database()


def json(content: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code, media_type="application/json")


def not_found() -> Response:
    return json({"detail": "User not found"}, 404)


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int | None:
    try:
        value = int(params.get(name, default))
    except ValueError:
        return None
    return value if low <= value <= high else None


async def read_user(request: Request) -> Response:
    user_id = _int(request.path_params, "user_id", 0, 1, 2**31 - 1)
    rows = await db.fetch(f'SELECT {USER_COLUMNS} FROM "user" WHERE id = $1', user_id) if user_id else []
    return json(rows[0]) if rows else not_found()


async def list_users(request: Request) -> Response:
    limit = _int(request.query_params, "limit", 50, 1, 100)
    if limit is None:
        return json({"detail": "limit must be 1-100"}, 422)
    return json(await db.fetch(f'SELECT {USER_COLUMNS} FROM "user" ORDER BY id LIMIT $1', limit))


async def list_user_posts(request: Request) -> Response:
    user_id = _int(request.path_params, "user_id", 0, 1, 2**31 - 1)
    limit = _int(request.query_params, "limit", 50, 1, 100)
    if limit is None:
        return json({"detail": "limit must be 1-100"}, 422)
    if not user_id:
        return not_found()
    sql = f"SELECT {POST_COLUMNS} FROM post WHERE author_id = $1 ORDER BY id LIMIT $2"
    posts = await db.fetch(sql, user_id, limit)
    if not posts and not await db.fetch('SELECT 1 FROM "user" WHERE id = $1', user_id):
        return not_found()
    return json(posts)


async def create_user(request: Request) -> Response:
    body = orjson.loads(await request.body())
    name, email, password = body.get("name"), body.get("email"), body.get("password")
    if not (isinstance(name, str) and isinstance(email, str) and isinstance(password, str)):
        return json({"detail": "name, email and password are required"}, 422)
    if not 8 <= len(password) <= 128:
        return json({"detail": "password must be 8-128 characters"}, 422)
    hashed = await run_in_threadpool(password_hash.hash, password)
    user = await db.insert_user(name.strip(), email.strip().lower(), hashed)
    return json(user, 201) if user else json({"detail": "Email already registered"}, 409)


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    await db.open()
    yield
    await db.close()


app = Starlette(
    routes=[
        Route("/users/", list_users),
        Route("/users/", create_user, methods=["POST"]),
        Route("/users/{user_id}", read_user),
        Route("/users/{user_id}/posts", list_user_posts),
    ],
    lifespan=lifespan,
)
