"""Read replicas on a real streaming replica (throwaway/replicas.py): read-only units of work read the
replica, writing ones the primary; a caller reads their own writes while the replica's replay is paused;
a replica lagging past APP_REPLICA_MAX_LAG_SECONDS, stopped, or unreachable from the start is skipped
for the primary; /health/ready and /metrics report the replicas. Served under load:
tests/e2e/test_served_with_replicas.py.

Whether a read ran on the replica or the primary is seen by what it finds while the replica's replay is
paused (pg_wal_replay_pause()): a row written since is on the primary only. Checks are run by the tests
(`check_once`), the background ones being set a long interval."""

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from dependency_injector import providers
from fastapi import FastAPI
from sqlalchemy import text

from api.app import create_app
from application.errors import StorageUnavailable
from infrastructure.container import Container
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.replicas import RoutedDatabase, caller_keys
from infrastructure.sql.unit_of_work import SqlUnitOfWork, read_only_unit_of_work
from tests.factories import PostCreatePayload, UserCreatePayload, UserFactory, id_of
from tests.fakes import FakeHasher
from throwaway.databases import postgres_execute
from throwaway.replicas import Cluster

REDIS_URL = os.environ.get("APP_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="Redis tests are off: set APP_TEST_REDIS_URL=redis://127.0.0.1:6379/0"
)
NO_BACKGROUND_CHECKS = 3600.0  # the background task checks once at start; the tests check when they need


def routed(cluster: Cluster, **settings: Any) -> RoutedDatabase:
    database = make_database(
        Settings(
            database_url=cluster.primary_url,
            database_replica_urls=cluster.replica_url,
            replica_check_interval_seconds=NO_BACKGROUND_CHECKS,
            **settings,
        )
    )
    assert isinstance(database, RoutedDatabase)
    return database


@asynccontextmanager
async def started(database: RoutedDatabase) -> AsyncIterator[RoutedDatabase]:
    await database.start()
    try:
        await database.check_once()
        yield database
    finally:
        await database.dispose()


async def _user_seen(database: RoutedDatabase, user_id: int, *, writes: bool = False) -> bool:
    async with SqlUnitOfWork(database, read_only=not writes) as uow:
        return await uow.users.get(user_id) is not None


async def _add_user(database: RoutedDatabase) -> int:
    async with SqlUnitOfWork(database) as uow:
        user = await uow.users.add(UserFactory())
        await uow.commit()
    return id_of(user)


async def test_read_only_units_of_work_read_the_replica_and_writing_ones_the_primary(
    replicated: Cluster,
) -> None:
    async with started(routed(replicated)) as database:
        assert [state.state for state in database.replica_states()] == ["in_use"]
        replicated.pause_replay()

        user_id = await _add_user(database)  # no caller: nothing to wait for

        assert not await _user_seen(database, user_id)  # the replica, paused before the write
        assert await _user_seen(database, user_id, writes=True)  # reads inside a writing unit of work


async def test_a_replica_read_cancelled_by_a_conflict_with_replay_is_unavailable_not_an_error(
    replicated: Cluster,
) -> None:
    """The replica cancels a query that holds what the replay of the primary's TRUNCATE must lock
    (max_standby_streaming_delay = 0 here): the unit of work reports StorageUnavailable (a 503)."""
    async with started(routed(replicated)) as database:
        await _add_user(database)
        replicated.wait_for_replay()
        with pytest.raises(StorageUnavailable):
            async with read_only_unit_of_work(database) as uow:
                query = asyncio.create_task(uow.session.exec(text(SLOW_READ)))  # type: ignore[call-overload]
                await _until_running_on_the_replica(replicated, SLOW_READ)
                postgres_execute(replicated.primary_url, 'TRUNCATE "user" CASCADE')
                await query


SLOW_READ = 'SELECT count(*) FROM "user", pg_sleep(10)'


async def _until_running_on_the_replica(cluster: Cluster, sql: str) -> None:
    connection = await asyncpg.connect(cluster.replica_url.replace("+asyncpg", ""))
    try:
        async with asyncio.timeout(10):
            while True:
                running = "SELECT count(*) FROM pg_stat_activity WHERE query = $1 AND state = 'active'"
                if await connection.fetchval(running, sql):
                    return
                await asyncio.sleep(0.02)  # polling for the query to start
    finally:
        await connection.close()


async def test_a_caller_reads_their_write_from_the_primary_until_a_replica_has_replayed_it(
    replicated: Cluster,
) -> None:
    async with started(routed(replicated)) as database:
        replicated.pause_replay()
        reset = caller_keys.set(("user:1",))
        try:
            user_id = await _add_user(database)
            assert await _user_seen(database, user_id)  # from the primary: the replica has not replayed it
        finally:
            caller_keys.reset(reset)
        assert not await _user_seen(database, user_id)  # anyone else reads the paused replica

        replicated.resume_replay()
        replicated.wait_for_replay()
        await database.check_once()
        replicated.pause_replay()
        second = await _add_user(database)  # written by nobody in particular, after the pause
        caller_keys.set(("user:1",))
        # The caller's write is replayed: their reads are back on the replica, which lacks `second`.
        assert await _user_seen(database, user_id)
        assert not await _user_seen(database, second)


async def test_a_replica_lagging_past_the_limit_is_skipped_until_it_catches_up(replicated: Cluster) -> None:
    async with started(routed(replicated, replica_max_lag_seconds=0.5)) as database:
        replicated.pause_replay()
        user_id = await _add_user(database)
        assert not await _user_seen(database, user_id)  # still within the lag allowed: the replica

        await _poll(database, lambda states: states[0].state == "lagging")

        assert database.replica_states()[0].lag_seconds is not None
        assert database.replica_states()[0].lag_seconds > 0.5  # type: ignore[operator]
        assert await _user_seen(database, user_id)  # the primary
        replicated.resume_replay()
        replicated.wait_for_replay()
        await database.check_once()
        assert [(state.state, state.lag_seconds) for state in database.replica_states()] == [("in_use", 0.0)]


async def test_an_idle_primary_does_not_make_a_caught_up_replica_look_late(replicated: Cluster) -> None:
    async with started(routed(replicated, replica_max_lag_seconds=0.5)) as database:
        await _add_user(database)
        replicated.wait_for_replay()
        # Nothing is written any more: the last transaction replayed grows old, the replica is not late.
        before = list(database.replica_states())
        await _poll(database, lambda _: True, rounds=3, pause=0.3)
        assert [state.state for state in before + list(database.replica_states())] == ["in_use"] * 2
        assert database.replica_states()[0].lag_seconds == 0.0


async def test_a_stopped_replica_is_skipped_at_once_and_reported(replicated: Cluster) -> None:
    async with started(routed(replicated)) as database:
        user_id = await _add_user(database)
        replicated.wait_for_replay()
        assert not await _user_seen(database, 999)  # a connection to the replica is now pooled
        replicated.stop("replica")

        # No check has run since: the unit of work meets the stopped replica when it opens, and runs on
        # the primary instead.
        assert await _user_seen(database, user_id)
        assert database.replica_states()[0].state == "unreachable"
        await database.check_once()
        assert database.replica_states()[0].state == "unreachable"
        assert database.replica_states()[0].lag_seconds is None

        replicated.start("replica")
        await _poll(database, lambda states: states[0].state == "in_use")


@needs_redis
async def test_with_redis_another_process_waits_for_the_callers_write_too(replicated: Cluster) -> None:
    assert REDIS_URL
    shared = {"redis_url": REDIS_URL, "redis_key_prefix": f"test-{uuid.uuid4().hex}"}
    async with (
        started(routed(replicated, **shared)) as one,
        started(routed(replicated, **shared)) as two,
        started(routed(replicated)) as alone,  # a process without Redis
    ):
        replicated.pause_replay()
        reset = caller_keys.set(("user:1",))
        try:
            user_id = await _add_user(one)
            assert await _user_seen(two, user_id)  # the other process knows of the write: primary
            assert not await _user_seen(alone, user_id)  # without Redis it cannot: the replica
        finally:
            caller_keys.reset(reset)
    client = aioredis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{shared['redis_key_prefix']}*")]
    assert keys  # the write was shared (and is cleaned up here)
    await client.delete(*keys)
    await client.aclose()


async def test_redis_out_of_reach_leaves_each_process_with_its_own_writes(
    replicated: Cluster, unused_tcp_port: int
) -> None:
    async with started(routed(replicated, redis_url=f"redis://127.0.0.1:{unused_tcp_port}/0")) as database:
        replicated.pause_replay()
        reset = caller_keys.set(("user:1",))
        try:
            user_id = await _add_user(database)  # the write is known here, if not in Redis
            assert await _user_seen(database, user_id)
        finally:
            caller_keys.reset(reset)
        assert not await _user_seen(database, user_id)


async def _poll(
    database: RoutedDatabase, done: Any, *, within: float = 20, rounds: int = 0, pause: float = 0.05
) -> None:
    """Run checks until `done(states)` (and at least `rounds` of them), failing after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            await database.check_once()
            rounds -= 1
            if rounds <= 0 and done(database.replica_states()):
                return
            await asyncio.sleep(pause)  # polling: each round samples the servers anew


@dataclass
class Clients:
    app: FastAPI
    container: Container
    writer: httpx.AsyncClient  # one client address
    other: httpx.AsyncClient  # another

    @property
    def database(self) -> RoutedDatabase:
        database = self.container.database()
        assert isinstance(database, RoutedDatabase)
        return database


@asynccontextmanager
async def replicated_app(cluster: Cluster, **settings: Any) -> AsyncIterator[Clients]:
    container = Container()
    container.settings.override(
        providers.Object(
            Settings(
                database_url=cluster.primary_url,
                database_replica_urls=cluster.replica_url,
                replica_check_interval_seconds=NO_BACKGROUND_CHECKS,
                limit_register_per_address="1000/minute",
                **settings,
            )
        )
    )
    container.hasher.override(providers.Object(FakeHasher()))
    app = create_app(container)

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with app.router.lifespan_context(app), client("10.0.0.1") as writer, client("10.0.0.2") as other:
        clients = Clients(app, container, writer, other)
        await clients.database.check_once()
        yield clients


async def test_over_http_a_user_reads_back_their_new_post_and_new_name(replicated: Cluster) -> None:
    async with replicated_app(replicated) as app:
        payload = UserCreatePayload(name="Before")
        user = (await app.writer.post("/users/", json=payload)).json()
        token = await app.writer.post(
            "/auth/token", data={"username": payload["email"], "password": payload["password"]}
        )
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        replicated.wait_for_replay()
        await app.database.check_once()
        replicated.pause_replay()

        post = await app.writer.post("/posts/", json=PostCreatePayload(), headers=auth)
        assert post.status_code == 201
        renamed = await app.writer.patch("/users/me", json={"name": "After"}, headers=auth)
        assert renamed.status_code == 200

        # The writer, by their token (a request from elsewhere carries it too) and by their address:
        assert (await app.other.get(f"/posts/{post.json()['id']}", headers=auth)).status_code == 200
        assert (await app.writer.get(f"/posts/{post.json()['id']}")).status_code == 200
        assert (await app.other.get("/users/me", headers=auth)).json()["name"] == "After"
        assert (await app.other.get(f"/users/{user['id']}", headers=auth)).json()["name"] == "After"
        # Anyone else reads the paused replica:
        assert (await app.other.get(f"/posts/{post.json()['id']}")).status_code == 404
        assert (await app.other.get(f"/users/{user['id']}")).json()["name"] == "Before"


async def test_readiness_and_metrics_report_the_replicas(replicated: Cluster) -> None:
    async with replicated_app(replicated, replica_max_lag_seconds=0.5) as app:
        assert (await app.other.get("/users/")).status_code == 200
        ready = await app.other.get("/health/ready")
        name = f"127.0.0.1:{replicated.replica_port}/app"
        assert ready.json() == {
            "status": "ok",
            "replicas": [{"name": name, "state": "in_use", "lag_seconds": 0.0}],
        }
        metrics = (await app.other.get("/metrics")).text
        assert f'db_reads_total{{target="{name}"}}' in metrics
        assert f'db_replica_lag_seconds{{replica="{name}"}} 0.0' in metrics

        replicated.pause_replay()
        await app.writer.post("/users/", json=UserCreatePayload())
        await _poll(app.database, lambda states: states[0].state == "lagging")
        ready = await app.other.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["replicas"][0]["state"] == "lagging"
        assert (await app.other.get("/users/")).status_code == 200
        assert 'db_reads_total{target="primary"}' in (await app.other.get("/metrics")).text


async def test_an_unreachable_replica_at_start_up_leaves_the_app_serving_from_the_primary(
    replicated: Cluster, unused_tcp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{unused_tcp_port}/app"
    container = Container()
    container.settings.override(
        providers.Object(
            Settings(
                database_url=replicated.primary_url,
                database_replica_urls=nowhere,
                replica_check_interval_seconds=NO_BACKGROUND_CHECKS,
                db_connect_timeout_seconds=1,
            )
        )
    )
    app = create_app(container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with caplog.at_level(logging.WARNING, logger="infrastructure.sql.replicas"):
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://t") as client,
        ):
            database = container.database()
            assert isinstance(database, RoutedDatabase)
            await database.check_once()
            assert (await client.get("/users/")).status_code == 200
            ready = await client.get("/health/ready")
            assert ready.status_code == 200
            name = f"127.0.0.1:{unused_tcp_port}/app"
            assert ready.json()["replicas"] == [{"name": name, "state": "unreachable", "lag_seconds": None}]
    assert any("unreachable" in record.getMessage() for record in caplog.records)
