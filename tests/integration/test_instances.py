"""Several instances (real processes, one of them with two workers) on one PostgreSQL database: a token
from one is accepted by the other, and one email registered at once through both is taken exactly once.
With several workers, `serve` gives prometheus-client a fresh multiprocess directory and removes it."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import Server, served, server_env

pytestmark = pytest.mark.postgres
REGISTRATIONS = 20
METRICS_DIR_PREFIX = "users-posts-metrics-"


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
    env = server_env(migrated_postgres, TMPDIR=str(tmp))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with (
        served(env, tmp_path / "a.log", "--workers", "2") as a,
        served(env, tmp_path / "b.log") as b,
    ):
        yield Instances(a, b, tmp)


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


# Last in the module: it stops instance a.
def test_several_workers_get_a_metrics_directory_removed_at_exit(instances: Instances) -> None:
    assert [path.name[: len(METRICS_DIR_PREFIX)] for path in instances.tmp.iterdir()] == [METRICS_DIR_PREFIX]

    instances.a.terminate()

    assert list(instances.tmp.iterdir()) == []
