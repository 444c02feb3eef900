"""Several instances (real processes, one of them with two workers) on one PostgreSQL database and one
Redis: a token from one is accepted by the other, one email registered at once through both is taken
exactly once, and failed logins spend one budget across both. With several workers, `serve` gives
prometheus-client a fresh multiprocess directory and removes it."""

import os
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from api.runtime import GC_THRESHOLDS
from tests.e2e.servers import Server, served, server_env

pytestmark = pytest.mark.postgres
REGISTRATIONS = 20
METRICS_DIR_PREFIX = "users-posts-metrics-"
REDIS_URL = os.environ.get("APP_TEST_REDIS_URL")
LOGIN_FAILURES = 3  # per account, across every instance
FROZEN = re.compile(r"process (\d+): (\d+) start-up objects frozen")


@dataclass
class Instances:
    a: Server  # two workers
    b: Server
    tmp: Path  # TMPDIR of the instances


@pytest.fixture(scope="module")
def instances(migrated_postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    """Started once for the module (a start costs seconds); the tests use emails of their own."""
    tmp_path = tmp_path_factory.mktemp("instances")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    prefix = f"test-instances-{uuid.uuid4().hex}"
    shared = {"APP_REDIS_URL": REDIS_URL, "APP_REDIS_KEY_PREFIX": prefix} if REDIS_URL else {}
    env = server_env(
        migrated_postgres,
        TMPDIR=str(tmp),
        APP_LIMIT_REGISTER_PER_ADDRESS="1000/hour",  # the tests register more than the default allows
        APP_LIMIT_LOGIN_PER_ACCOUNT=f"{LOGIN_FAILURES}/15 minutes",
        **shared,
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with (
        served(env, tmp_path / "a.log", "--workers", "2") as a,
        served(env, tmp_path / "b.log") as b,
    ):
        yield Instances(a, b, tmp)
    if REDIS_URL:  # the budgets the instances left in Redis
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"*{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def register(server: Server, email: str) -> httpx.Response:
    body = {"name": "Ada", "email": email, "password": "long enough"}
    return httpx.post(server.base_url + "/users/", json=body, timeout=60)


def test_a_token_from_one_instance_is_accepted_by_the_other(instances: Instances) -> None:
    assert register(instances.a, "token@example.com").status_code == 201
    login = httpx.post(
        instances.a.base_url + "/auth/token",
        data={"username": "token@example.com", "password": "long enough"},
        timeout=30,
    )
    assert login.status_code == 200
    token = login.json()["access_token"]

    me = httpx.get(
        instances.b.base_url + "/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )

    assert me.status_code == 200
    assert me.json()["email"] == "token@example.com"


def test_one_email_registered_at_once_through_both_instances_is_taken_once(instances: Instances) -> None:
    targets = [instances.a, instances.b] * (REGISTRATIONS // 2)
    with ThreadPoolExecutor(max_workers=REGISTRATIONS) as pool:
        statuses = list(pool.map(lambda server: register(server, "same@example.com").status_code, targets))

    assert sorted(statuses) == [201] + [409] * (REGISTRATIONS - 1)


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set APP_TEST_REDIS_URL=redis://127.0.0.1:6379/0")
def test_failed_logins_spend_one_budget_across_instances(instances: Instances) -> None:
    assert register(instances.a, "guessed@example.com").status_code == 201
    wrong = {"username": "guessed@example.com", "password": "not the password"}
    servers = [instances.a, instances.b] * LOGIN_FAILURES

    statuses = [httpx.post(s.base_url + "/auth/token", data=wrong, timeout=30).status_code for s in servers]

    # Each instance alone has seen at most LOGIN_FAILURES failures; together they refuse past the budget.
    assert statuses == [400] * LOGIN_FAILURES + [429] * LOGIN_FAILURES


def test_every_worker_freezes_its_start_up_objects(instances: Instances) -> None:
    """Each uvicorn worker runs the app's lifespan, which tunes its own garbage collector."""
    lines = [line for line in instances.a.log.read_text().splitlines() if "start-up objects frozen" in line]
    frozen = {int(m[1]): int(m[2]) for m in (FROZEN.search(line) for line in lines) if m}
    assert len(frozen) == 2, lines  # two worker processes
    assert all(count > 10_000 for count in frozen.values())  # the libraries' objects, not a handful
    assert all(f"thresholds {GC_THRESHOLDS}" in line for line in lines)


# Last in the module: it stops instance a.
def test_several_workers_get_a_metrics_directory_removed_at_exit(instances: Instances) -> None:
    assert [path.name[: len(METRICS_DIR_PREFIX)] for path in instances.tmp.iterdir()] == [METRICS_DIR_PREFIX]

    instances.a.terminate()

    assert list(instances.tmp.iterdir()) == []
