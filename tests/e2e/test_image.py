"""The container image (Containerfile) as an operator runs it: built by `make image` on a Debian 12 base
made here (`make local-base`: no registry is reached), with no network in the build; then run with podman
on the host's network — on SQLite with a volume, on PostgreSQL with Redis — as a non-root user with a
read-only root filesystem, stopped with SIGTERM, started again on the same data; and refusing to start
in production with unsafe settings."""

import os
import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.deployments import make, wait_until_ready
from tests.factories import PostCreatePayload, UserCreatePayload
from throwaway.databases import POSTGRES_URL, SKIP_POSTGRES, postgres_database
from throwaway.processes import ROOT, free_port

REDIS_URL = os.environ.get("APP_TEST_REDIS_URL")
SKIP_REDIS = "set APP_TEST_REDIS_URL=redis://127.0.0.1:6379/0 (.ci/run does when 127.0.0.1:6379 answers)"
# crun refuses to run here, and the default ulimits fail setrlimit (the Makefile builds the same way).
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
RUN_LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"]
LOCAL_BASE = "localhost/users-posts-base:bookworm"
APP_UID = 10001  # the Containerfile's users-posts user
SHUTDOWN_GRACE_SECONDS = 20  # APP_SHUTDOWN_GRACE_SECONDS's default
APP_LAYERS_MAX_BYTES = 160_000_000  # what the image adds to its base (podman counts MB of 10^6 bytes)
MISSING = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]

pytestmark = [
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"the image tests need {', '.join(MISSING)}: apt-get install -y podman runc debootstrap",
    ),
    pytest.mark.skipif(
        os.geteuid() != 0, reason="the image tests run podman and debootstrap as root (as .ci/run does)"
    ),
]


def podman(*arguments: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*PODMAN, *arguments], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(f"podman {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def unique(kind: str) -> str:
    return f"users-posts-e2e-{kind}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """The image, built for this run (and removed after it); the base is kept for the next runs."""
    make("local-base", timeout=900)
    tag = f"localhost/{unique('image')}:latest"
    make("image", f"BASE={LOCAL_BASE}", f"IMAGE={tag}", timeout=900)
    yield tag
    podman("rmi", "--force", tag, check=False)


@pytest.fixture
def volume() -> Iterator[str]:
    name = unique("data")
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "--force", name, check=False)


@dataclass(frozen=True)
class Container:
    name: str
    port: int
    host: str  # the Host header the tests send: one of the container's APP_ALLOWED_HOSTS

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Host": self.host}, timeout=30)

    def running(self) -> bool:
        state = podman("inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return state.stdout.strip() == "true"

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def exec(self, *command: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        return podman("exec", *(["--user", user] if user else []), self.name, *command, check=False)

    def stop_with_sigterm(self) -> tuple[int, float]:
        """SIGTERM to the container; its exit code and how long it took to exit."""
        started = time.monotonic()
        podman("kill", "--signal", "TERM", self.name)
        exit_code = podman("wait", self.name, timeout=SHUTDOWN_GRACE_SECONDS + 30).stdout.strip()
        return int(exit_code), time.monotonic() - started


@contextmanager
def started(
    image: str, *options: str, env: dict[str, str], host: str, arguments: tuple[str, ...] = ()
) -> Iterator[Container]:
    """The image running with the entry point (migrate, then serve on $PORT), once it answers the tests
    asking as `host`; removed after."""
    container = Container(unique("run"), free_port(), host)
    settings = [f"--env={name}={value}" for name, value in (env | {"PORT": str(container.port)}).items()]
    podman(
        "run", "--detach", "--name", container.name, "--network", "host", *RUN_LIMITS, *options, *settings,
        image, *arguments,
    )  # fmt: skip
    try:
        wait_until_ready(container.base_url, container.running, container.logs, {"Host": host})
        yield container
    finally:
        # --volumes: the anonymous volume of /data too, when no volume was named for it
        podman("rm", "--force", "--volumes", "--time", "0", container.name, check=False)


def assert_serves_as_a_non_root_pid_1_on_a_read_only_root(container: Container) -> None:
    """The server is PID 1 (it gets the container's SIGTERM), as the image's user, and the root
    filesystem cannot be written, even by root."""
    status = container.exec("cat", "/proc/1/status").stdout
    assert f"Uid:\t{APP_UID}\t{APP_UID}\t{APP_UID}\t{APP_UID}" in status, status
    command_line = container.exec("cat", "/proc/1/cmdline").stdout.split("\0")
    assert command_line[1:3] == ["/opt/users-posts/bin/users-posts", "serve"], command_line
    written = container.exec("touch", "/opt/users-posts/written", user="root")
    assert written.returncode != 0
    assert "Read-only file system" in written.stderr


def assert_healthy(container: Container) -> None:
    """The image's HEALTHCHECK passes (podman runs it on demand: this machine has no systemd timers)."""
    check = podman("healthcheck", "run", container.name, check=False)
    assert check.returncode == 0, check.stdout + check.stderr + container.logs()


def register_log_in_and_post(container: Container) -> tuple[dict[str, Any], dict[str, Any]]:
    """A user and their post, written and read back over HTTP; (registration payload, post as read)."""
    user = UserCreatePayload(email=f"{uuid.uuid4().hex[:12]}@example.com")
    with container.client() as client:
        registered = client.post("/users/", json=user)
        assert registered.status_code == 201, registered.text
        headers = log_in(client, user)
        created = client.post("/posts/", json=PostCreatePayload(), headers=headers)
        assert created.status_code == 201, created.text
        read = client.get(f"/posts/{created.json()['id']}")
        assert read.status_code == 200
        post = read.json()
    assert {name: post[name] for name in created.json()} == created.json()
    assert post["author"]["name"] == user["name"]
    return user, post


def log_in(client: httpx.Client, user: dict[str, Any]) -> dict[str, str]:
    token = client.post("/auth/token", data={"username": user["email"], "password": user["password"]})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def assert_still_there(container: Container, user: dict[str, Any], post: dict[str, Any]) -> None:
    with container.client() as client:
        assert client.get(f"/posts/{post['id']}").json() == post
        me = client.get("/users/me", headers=log_in(client, user))
        assert me.json()["email"] == user["email"]


def assert_stops_cleanly_on_sigterm(container: Container) -> None:
    exit_code, seconds = container.stop_with_sigterm()
    assert exit_code == 0, container.logs()
    assert seconds < SHUTDOWN_GRACE_SECONDS, f"{seconds:.1f} s"


def test_app_layers_stay_within_160_mb(image: str) -> None:
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    base_size = int(podman("image", "inspect", "--format", "{{.Size}}", LOCAL_BASE).stdout)
    assert size - base_size <= APP_LAYERS_MAX_BYTES, f"{(size - base_size) / 1e6:.0f} MB above the base"


def test_the_build_context_holds_only_what_the_image_copies(image: str, tmp_path: Path) -> None:
    """.dockerignore: no sources, tests, caches, .venv or databases are sent to the build."""
    probe = tmp_path / "Containerfile"
    probe.write_text(f"FROM {LOCAL_BASE}\nCOPY . /context\n")
    tag = f"localhost/{unique('context')}:latest"
    podman("build", "--quiet", "--layers=false", "--network", "none", "-t", tag, "-f", str(probe), str(ROOT))
    try:
        listing = ("find", "/context", "-type", "f")
        copied = podman("run", "--rm", "--network", "none", *RUN_LIMITS, tag, *listing)
    finally:
        podman("rmi", "--force", tag, check=False)
    files = set(copied.stdout.split())
    wheels = {path for path in files if path.startswith("/context/wheelhouse/") and path.endswith(".whl")}
    assert any("users_posts_service" in wheel for wheel in wheels)
    assert files - wheels == {
        "/context/Containerfile",
        "/context/requirements.lock",
        "/context/deploy/image/entrypoint.sh",
        "/context/deploy/image/healthcheck.py",
    }


def test_on_sqlite_the_data_lives_on_the_volume_across_containers(image: str, volume: str) -> None:
    # No tmpfs at all: one worker on SQLite writes nowhere but the volume.
    read_only = ("--read-only", "--read-only-tmpfs=false", "--volume", f"{volume}:/data")
    # Not 127.0.0.1: the healthcheck must ask with a Host header the server accepts.
    env = {"APP_ALLOWED_HOSTS": "localhost,api.example.test"}
    with started(image, *read_only, env=env, host="api.example.test") as first:
        assert_serves_as_a_non_root_pid_1_on_a_read_only_root(first)
        assert_healthy(first)
        user, post = register_log_in_and_post(first)
        assert_stops_cleanly_on_sigterm(first)

    # A command instead of the server: the migrations found the volume's database at head.
    at_head = podman(
        "run", "--rm", "--network", "none", *RUN_LIMITS, *read_only,
        image, "users-posts", "migrate", "--check",
    )  # fmt: skip
    assert "ok: the database is at the latest migration" in at_head.stdout

    with started(image, *read_only, env=env, host="api.example.test") as second:
        assert_still_there(second, user, post)


@pytest.mark.skipif(POSTGRES_URL is None, reason=SKIP_POSTGRES)
@pytest.mark.skipif(REDIS_URL is None, reason=SKIP_REDIS)
def test_on_postgresql_with_redis_in_production(image: str) -> None:
    assert POSTGRES_URL is not None
    assert REDIS_URL is not None
    prefix = unique("limits")
    with postgres_database(POSTGRES_URL) as database_url:
        env = {
            "APP_ENV": "production",
            "APP_JWT_SECRET": secrets.token_urlsafe(48),
            "APP_ALLOWED_HOSTS": "*.example.test",  # the healthcheck asks as ready.example.test
            "APP_MAIL_BACKEND": "off",
            "APP_DATABASE_URL": database_url,
            "APP_REDIS_URL": REDIS_URL,
            "APP_REDIS_KEY_PREFIX": prefix,
        }
        # Two workers share a metrics directory in /tmp: the one tmpfs they need.
        read_only = ("--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp")
        limits = redis.Redis.from_url(REDIS_URL)
        try:
            with started(
                image, *read_only, env=env, host="api.example.test", arguments=("--workers", "2")
            ) as first:
                assert_serves_as_a_non_root_pid_1_on_a_read_only_root(first)
                assert_healthy(first)
                checked = first.exec("users-posts", "check")
                assert checked.returncode == 0, checked.stdout
                assert "ok   database" in checked.stdout
                assert "ok   redis" in checked.stdout
                user, post = register_log_in_and_post(first)
                assert list(limits.scan_iter(match=f"{prefix}*")), "no rate-limit key in Redis"
                assert_stops_cleanly_on_sigterm(first)

            with started(image, *read_only, env=env, host="api.example.test") as second:
                assert_still_there(second, user, post)
        finally:
            for key in limits.scan_iter(match=f"{prefix}*"):
                limits.delete(key)
            limits.close()


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({}, "without a strong APP_JWT_SECRET"),
        ({"APP_JWT_SECRET": secrets.token_urlsafe(48)}, "answering any Host"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(
    image: str, settings: dict[str, str], reason: str
) -> None:
    refused = podman(
        "run", "--rm", "--network", "none", *RUN_LIMITS, "--env", "APP_ENV=production",
        *(f"--env={name}={value}" for name, value in settings.items()), image,
        check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert f"refusing to run in production {reason}" in refused.stderr
