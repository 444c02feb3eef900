"""Demo data for `users-posts seed`: users with real argon2 hashes and their posts, written in batches.

Hashing each user's password would cost N slow hashes; instead one demo password is hashed a few
times (each with its own salt, in parallel threads: argon2 releases the GIL) and the hashes are dealt
out round-robin. Every demo user logs in with DEMO_PASSWORD."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, func, select

from domain.users import Email, new_credentials_stamp
from infrastructure.security.passwords import argon2_password_hash
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.engine import UnitSession
from infrastructure.sql.tables import UserRow, metadata

DEMO_PASSWORD = "demo password"
DISTINCT_HASHES = 4
BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Seeded:
    users: int
    posts: int
    first_email: str
    last_email: str


def demo_password_hashes(count: int = DISTINCT_HASHES) -> list[str]:
    """`count` argon2 hashes of DEMO_PASSWORD, computed in parallel, with the service's parameters."""
    hasher = argon2_password_hash()
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: hasher.hash(DEMO_PASSWORD), range(count)))


async def seed_demo_data(
    settings: Settings,
    users: int,
    posts_per_user: int,
    password_hashes: list[str],
    progress: Callable[[int], None] = lambda rows: None,
) -> Seeded:
    """Insert `users` users (emails user<n>@example.com, n after the highest id so far) with
    `posts_per_user` posts each, in one transaction of the app's own database adapter (the driver
    APP_DATABASE_URL names); `progress(rows)` after each batch."""
    database = make_database(settings)
    try:
        session = await database.session(writes=True)
        try:
            highest = (await session.exec(select(func.coalesce(func.max(col(UserRow.id)), 0)))).one()
            start = (highest or 0) + 1
            batches = _Batches(session, datetime.now(UTC), password_hashes, posts_per_user, progress)
            numbers = range(start, start + users)
            for batch_start in range(0, users, BATCH_ROWS):
                await batches.insert(numbers[batch_start : batch_start + BATCH_ROWS])
            await session.commit()
        finally:
            await session.close()
    finally:
        await database.dispose()
    return Seeded(
        users, users * posts_per_user, f"user{start}@example.com", f"user{start + users - 1}@example.com"
    )


@dataclass(frozen=True, slots=True)
class _Batches:
    """Inserts the demo users of a batch of numbers, then their posts, BATCH_ROWS rows at a time."""

    session: UnitSession
    now: datetime
    password_hashes: list[str]
    posts_per_user: int
    progress: Callable[[int], None]

    async def insert(self, numbers: range) -> None:
        author_ids = await self._insert_users(numbers)
        posts = [
            self._post(n, author_id, p)
            for n, author_id in zip(numbers, author_ids, strict=True)
            for p in range(1, self.posts_per_user + 1)
        ]
        post_table = metadata.tables["post"]
        for post_start in range(0, len(posts), BATCH_ROWS):
            chunk = posts[post_start : post_start + BATCH_ROWS]
            await self.session.exec(insert(post_table), params=chunk)
            self.progress(len(chunk))

    async def _insert_users(self, numbers: range) -> list[int]:
        user_table = metadata.tables["user"]
        rows = [self._user(n) for n in numbers]
        result = await self.session.exec(
            insert(user_table).returning(user_table.c.id, sort_by_parameter_order=True), params=rows
        )
        author_ids = list(result.scalars())
        self.progress(len(rows))
        return author_ids

    def _user(self, n: int) -> dict[str, Any]:
        return {
            "name": f"Demo User {n}",
            "email": str(Email(f"user{n}@example.com")),
            "password_hash": self.password_hashes[n % len(self.password_hashes)],
            "created_at": self.now,
            "credentials_stamp": new_credentials_stamp(),
        }

    def _post(self, n: int, author_id: int, p: int) -> dict[str, Any]:
        return {
            "title": f"Post {p} by Demo User {n}",
            "content": f"Demo post {p} of Demo User {n}.\nWritten by users-posts seed.",
            "author_id": author_id,
            "created_at": self.now,
            "updated_at": self.now,
        }
