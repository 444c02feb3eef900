"""The database going away while the app runs, or every pooled connection staying busy past the pool
timeout: requests become 503 problems with Retry-After (never 500s), readiness turns 503, and the app
recovers by itself, without a restart, once it is back."""

import asyncio
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from tests.api.problems import assert_problem
from tests.api.sql_apps import SqlApp, sql_app
from tests.factories import UserCreatePayload, public_view
from throwaway.databases import POSTGRES_URL, postgres_execute, sqlite_url

POOLED = 3
TERMINATE_OTHER_CONNECTIONS = (
    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "  # 5000: wait until they are gone
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def assert_unavailable(response: httpx.Response) -> None:
    body = assert_problem(response, 503)
    assert body["type"].endswith("storage-unavailable")
    assert response.headers["retry-after"] == "5"


async def assert_serving(client: httpx.AsyncClient, user: dict[str, Any]) -> None:
    assert (await client.get(f"/users/{user['id']}")).json() == public_view(user)
    assert (await client.get("/health/ready")).status_code == 200


async def assert_down(client: httpx.AsyncClient, user: dict[str, Any]) -> None:
    assert_unavailable(await client.get(f"/users/{user['id']}"))
    assert_unavailable(await client.get("/users/"))
    assert_unavailable(await client.post("/users/", json=UserCreatePayload()))
    assert_unavailable(await client.get("/health/ready"))
    assert (await client.get("/health/live")).status_code == 200  # the process itself is fine


async def open_pooled_connections(app: SqlApp, user: dict[str, Any]) -> None:
    """Serve concurrent requests, so that the pool holds several connections, not just one."""
    responses = await asyncio.gather(*(app.client.get(f"/users/{user['id']}") for _ in range(POOLED)))
    assert all(response.status_code == 200 for response in responses)
    pool = app.container.database().sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() > 1


async def test_postgres_connections_cut_are_survived_with_pre_ping(postgres_database_url: str) -> None:
    async with sql_app(postgres_database_url, db_pool_pre_ping=True) as app:
        user = (await app.client.post("/users/", json=UserCreatePayload())).json()
        await open_pooled_connections(app, user)

        postgres_execute(postgres_database_url, TERMINATE_OTHER_CONNECTIONS)

        for _ in range(POOLED):  # each pooled connection is pinged, found dead and replaced
            await assert_serving(app.client, user)


async def test_postgres_connections_cut_cost_a_read_nothing_without_pre_ping(
    postgres_database_url: str,
) -> None:
    """The default (no pre-ping): the read meets a dropped connection and is run again on a fresh one."""
    async with sql_app(postgres_database_url) as app:
        user = (await app.client.post("/users/", json=UserCreatePayload())).json()
        await open_pooled_connections(app, user)
        invalidated = count_invalidations(app)

        postgres_execute(postgres_database_url, TERMINATE_OTHER_CONNECTIONS)

        assert (await app.client.get(f"/users/{user['id']}")).json() == public_view(user)
        assert invalidated  # it did meet a dead connection: no pre-ping replaced it first
        for _ in range(POOLED):  # that failure made the pool drop all its connections, not just one
            await assert_serving(app.client, user)


async def test_postgres_connections_cut_fail_one_write_without_pre_ping(postgres_database_url: str) -> None:
    """A write is never retried (its transaction went with the connection): a 503 with Retry-After,
    nothing written, and the next write gets a fresh connection."""
    async with sql_app(postgres_database_url) as app:
        user = (await app.client.post("/users/", json=UserCreatePayload())).json()
        await open_pooled_connections(app, user)

        postgres_execute(postgres_database_url, TERMINATE_OTHER_CONNECTIONS)

        refused = UserCreatePayload()
        assert_unavailable(await app.client.post("/users/", json=refused))
        taken = (await app.client.get("/users/?limit=100")).json()
        assert [u["id"] for u in taken] == [user["id"]]  # the refused registration left nothing
        assert (await app.client.post("/users/", json=refused)).status_code == 201
        await assert_serving(app.client, user)


def count_invalidations(app: SqlApp) -> list[object]:
    """A list that gets an item each time the app's pool invalidates a connection."""
    invalidated: list[object] = []
    engine = app.container.database().sync_engine
    event.listen(engine, "invalidate", lambda _dbapi, _record, error: invalidated.append(error))
    return invalidated


async def test_postgres_refusing_connections_is_503_until_it_accepts_them_again(
    postgres_database_url: str,
) -> None:
    assert POSTGRES_URL
    name = make_url(postgres_database_url).database
    async with sql_app(postgres_database_url) as app:
        user = (await app.client.post("/users/", json=UserCreatePayload())).json()
        try:
            postgres_execute(POSTGRES_URL, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            postgres_execute(
                POSTGRES_URL,
                f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{name}'",
            )
            await assert_down(app.client, user)
        finally:
            postgres_execute(POSTGRES_URL, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await assert_serving(app.client, user)


async def test_sqlite_file_out_of_reach_is_503_until_it_is_back(
    migrated_sqlite_template: Path, tmp_path: Path
) -> None:
    directory, away = tmp_path / "data", tmp_path / "data-away"
    directory.mkdir()
    shutil.copyfile(migrated_sqlite_template, directory / "app.db")
    async with sql_app(sqlite_url(directory / "app.db")) as app:
        user = (await app.client.post("/users/", json=UserCreatePayload())).json()
        await assert_serving(app.client, user)

        directory.rename(away)
        # Open SQLite connections keep the file they opened, wherever it went; new ones look it up
        # by path. Drop the pooled ones, as recycling or a restart would.
        await app.container.database().dispose()
        try:
            await assert_down(app.client, user)
        finally:
            away.rename(directory)

        await assert_serving(app.client, user)


async def test_postgres_pool_exhausted_past_its_timeout_is_503_and_then_serves_again(
    postgres_database_url: str,
) -> None:
    pool: dict[str, Any] = {"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 0.3}
    async with sql_app(postgres_database_url, **pool) as app:
        user = (await app.client.post("/users/", json=UserCreatePayload())).json()
        locker = await asyncpg.connect(
            postgres_database_url.replace("postgresql+asyncpg://", "postgresql://")
        )
        try:
            async with locker.transaction():
                await locker.execute('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE')
                # This request takes the only pooled connection and waits for the lock with it.
                stuck = asyncio.create_task(app.client.get(f"/users/{user['id']}"))
                await until_a_query_waits_for_a_lock(locker)

                async with asyncio.timeout(5):  # the pool timeout, not this bound, ends the wait
                    assert_unavailable(await app.client.get(f"/users/{user['id']}"))
            assert (await stuck).json() == public_view(user)  # the lock released, the stuck request completes
        finally:
            await locker.close()
        await assert_serving(app.client, user)


async def until_a_query_waits_for_a_lock(connection: asyncpg.Connection) -> None:
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(5):
        while True:  # polls a condition, within a bound
            if await connection.fetchval(query):
                return
            await asyncio.sleep(0.01)
