"""`users-posts serve --workers 2` behind a real PgBouncer in transaction mode (deploy/pgbouncer.ini, 2
server connections, APP_DB_PREPARED_STATEMENTS=false): a concurrent load is answered with 2xx only, and a
PgBouncer restart under load is 503 problems with Retry-After while it is down, then service again
without restarting the app."""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.load import concurrent_load
from tests.e2e.servers import Server, served, server_env
from throwaway.pgbouncer import PGBOUNCER, SKIP_PGBOUNCER, PgBouncer, pgbouncer_in_front_of

CLIENTS = 32  # as many concurrent clients as `wrk -c32`
REQUESTS_PER_CLIENT = 15
RECOVERY_SECONDS = 20


def _register(server: Server) -> int:
    body = {"name": "Ada", "email": "ada@example.com", "password": "long enough"}
    response = httpx.post(server.base_url + "/users/", json=body, timeout=60)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def served_through(tmp_path: Path, postgres_database_url: str) -> Iterator[tuple[Server, PgBouncer]]:
    """`users-posts serve --workers 2` through a PgBouncer of its own (a test may restart it)."""
    if PGBOUNCER is None:
        pytest.skip(SKIP_PGBOUNCER)
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
