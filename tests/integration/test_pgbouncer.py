"""Behind a real PgBouncer in transaction mode (deploy/pgbouncer.ini, 2 server connections): with
APP_DB_PREPARED_STATEMENTS=false concurrent units of work never meet a prepared statement of another
client's connection, `users-posts serve --workers 2` answers a concurrent load with 2xx only, and a
PgBouncer restart under load is 503 problems with Retry-After while it is down, then service again
without restarting the app."""

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from application.pagination import PageRequest
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.engine import Database
from infrastructure.sql.unit_of_work import read_only_unit_of_work
from tests.load import concurrent_load
from tests.pgbouncer import PgBouncer, pgbouncer_in_front_of
from tests.servers import Server, served, server_env

CLIENTS = 32  # as many concurrent clients as `wrk -c32`
READS_PER_CLIENT = 25
REQUESTS_PER_CLIENT = 15
RECOVERY_SECONDS = 20


async def _concurrent_reads(database: Database) -> list[BaseException]:
    async def client() -> None:
        for page in range(READS_PER_CLIENT):
            async with read_only_unit_of_work(database) as uow:
                await uow.users.get(page + 1)
                await uow.posts.list(PageRequest(limit=10))

    results = await asyncio.gather(*(client() for _ in range(CLIENTS)), return_exceptions=True)
    return [result for result in results if isinstance(result, BaseException)]


def _pooled(url: str, prepared: bool) -> Database:
    return make_database(
        Settings(database_url=url, db_prepared_statements=prepared, db_pool_size=8, db_max_overflow=8)
    )


async def test_concurrent_units_of_work_through_pgbouncer_without_prepared_statements(
    pgbouncer_database_url: str,
) -> None:
    database = _pooled(pgbouncer_database_url, prepared=False)
    try:
        assert await _concurrent_reads(database) == []
    finally:
        await database.dispose()


async def test_with_prepared_statements_the_same_load_fails_through_pgbouncer(
    pgbouncer_database_url: str,
) -> None:
    """What the setting is for, shown on this very PgBouncer: its server connections do swap."""
    database = _pooled(pgbouncer_database_url, prepared=True)
    try:
        failures = await _concurrent_reads(database)
    finally:
        await database.dispose()
    assert any("prepared statement" in str(failure) for failure in failures), failures


def _register(server: Server) -> int:
    body = {"name": "Ada", "email": "ada@example.com", "password": "long enough"}
    response = httpx.post(server.base_url + "/users/", json=body, timeout=60)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def served_through(tmp_path: Path, postgres_database_url: str) -> Iterator[tuple[Server, PgBouncer]]:
    """`users-posts serve --workers 2` through a PgBouncer of its own (a test may restart it)."""
    with pgbouncer_in_front_of(postgres_database_url) as bouncer:
        env = server_env(
            bouncer.url(postgres_database_url),
            APP_DB_PREPARED_STATEMENTS="false",
            APP_LOG_LEVEL="WARNING",
            APP_DB_CONNECT_TIMEOUT_SECONDS="1",
        )
        with served(env, tmp_path / "serve.log", "--workers", "2") as server:
            yield server, bouncer


def test_serve_with_two_workers_answers_a_concurrent_load_with_2xx_only(
    served_through: tuple[Server, PgBouncer],
) -> None:
    server, _ = served_through
    user = _register(server)
    paths = [f"/users/{user}", "/users/?limit=10", "/posts/?limit=10", f"/users/{user}/posts"]

    answers = concurrent_load(server.base_url, paths, requests=REQUESTS_PER_CLIENT, clients=CLIENTS)

    assert answers == {"200": CLIENTS * REQUESTS_PER_CLIENT}, answers


def test_pgbouncer_restarted_under_load_is_503_with_retry_after_then_service_again(
    served_through: tuple[Server, PgBouncer],
) -> None:
    server, bouncer = served_through
    user = _register(server)
    paths = [f"/users/{user}", "/users/?limit=10"]
    stop = threading.Event()
    answers: Counter[str] = Counter()
    loader = threading.Thread(
        target=lambda: answers.update(concurrent_load(server.base_url, paths, stop=stop, clients=CLIENTS))
    )
    loader.start()
    try:
        bouncer.stop()
        down = httpx.get(server.base_url + f"/users/{user}", timeout=30)
        assert down.status_code == 503
        assert down.headers["retry-after"] == "5"
        assert down.headers["content-type"] == "application/problem+json"
        bouncer.start()
        deadline = time.monotonic() + RECOVERY_SECONDS
        while httpx.get(server.base_url + f"/users/{user}", timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "no recovery after PgBouncer came back"
            time.sleep(0.1)  # polling for recovery
        stop.set()
    finally:
        stop.set()
        loader.join(timeout=60)
    assert set(answers) <= {"200", "503 retry-after=5 application/problem+json"}, answers
    assert answers["200"] > 0
    after = concurrent_load(server.base_url, paths, seconds=1, clients=CLIENTS)
    assert set(after) == {"200"}, after
