"""A throwaway streaming-replication pair for tests and benchmarks: a primary initialised for the run
with the server binaries under /usr/lib/postgresql/*/bin, and a replica made from it by
`pg_basebackup -R`, on free ports, run as the `postgres` OS user when run as root. Stopped and removed
at the end."""

import asyncio
import contextlib
import glob
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from throwaway.databases import off_loop, postgres_execute
from throwaway.processes import free_port, os_user

_BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
SERVER_BIN = Path(_BINARIES[-1]).parent if _BINARIES else None
SKIP_SERVER_BINARIES = (
    "the PostgreSQL server binaries are missing (/usr/lib/postgresql/*/bin): apt-get install -y postgresql"
)
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "wal_level": "replica",
    "max_wal_senders": "4",
    "hot_standby": "on",
    "fsync": "off",  # a throwaway cluster: speed over durability
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "100",
    "wal_receiver_status_interval": "1s",
}


@dataclass
class Cluster:
    directory: Path
    primary_port: int
    replica_port: int
    database: str = "app"

    @property
    def primary_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.primary_port}/{self.database}"

    @property
    def replica_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.replica_port}/{self.database}"

    def run(self, *command: str) -> None:
        assert SERVER_BIN is not None
        runner = os_user()
        done = subprocess.run(
            [str(SERVER_BIN / command[0]), *command[1:]],
            cwd=self.directory,
            user=runner.pw_uid if runner else None,
            group=runner.pw_gid if runner else None,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def start(self, which: str) -> None:
        port = self.primary_port if which == "primary" else self.replica_port
        data = str(self.directory / which)
        log = str(self.directory / f"{which}.log")
        self.run("pg_ctl", "-D", data, "-l", log, "-o", f"-p {port}", "-w", "-t", "60", "start")

    def stop(self, which: str, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.directory / which), "-m", mode, "-w", "stop")

    def running(self, which: str) -> bool:
        try:
            self.run("pg_ctl", "-D", str(self.directory / which), "status")
        except RuntimeError:
            return False
        return True

    def reset(self, truncate: str) -> None:
        """The state every test starts from: both running, replay on, `truncate` run and replayed."""
        if not self.running("replica"):
            self.start("replica")
        self.resume_replay()
        postgres_execute(self.primary_url, truncate)
        self.wait_for_replay()

    def on_replica(self, sql: str) -> None:
        postgres_execute(self.replica_url, sql)

    def pause_replay(self) -> None:
        self.on_replica("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.on_replica("SELECT pg_wal_replay_resume()")

    def wait_for_replay(self, within_seconds: float = 30) -> None:
        """Until the replica has replayed everything the primary has written so far."""

        async def caught_up() -> bool:
            primary = await asyncpg.connect(self.primary_url.replace("+asyncpg", ""))
            replica = await asyncpg.connect(self.replica_url.replace("+asyncpg", ""))
            try:
                target = await primary.fetchval("SELECT pg_current_wal_insert_lsn()")
                deadline = time.monotonic() + within_seconds
                while time.monotonic() < deadline:
                    if await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", target):
                        return True
                    await asyncio.sleep(0.02)  # polling for the replay
                return False
            finally:
                await primary.close()
                await replica.close()

        assert off_loop(lambda: asyncio.run(caught_up())), "the replica did not catch up"


@contextmanager
def streaming_cluster() -> Iterator[Cluster]:
    """A primary and its streaming replica, running; an empty database `app` on both."""
    directory = Path(tempfile.mkdtemp(prefix="replication-"))
    runner = os_user()
    if runner:
        shutil.chown(directory, runner.pw_uid, runner.pw_gid)
    cluster = Cluster(directory, free_port(), free_port())
    started: list[str] = []
    try:
        cluster.run("initdb", "-D", str(directory / "primary"), "-U", "postgres", "--auth=trust", "--no-sync")
        with (directory / "primary" / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in SETTINGS.items())
        cluster.start("primary")
        started.append("primary")
        postgres_execute(cluster.primary_url.replace("/app", "/postgres"), "CREATE DATABASE app")
        cluster.run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(cluster.primary_port), "-U", "postgres"),
            *("-D", str(directory / "replica"), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )
        with (directory / "replica" / "postgresql.conf").open("a") as conf:
            conf.write("max_standby_streaming_delay = 0\n")  # replay cancels what conflicts at once
        cluster.start("replica")
        started.append("replica")
        yield cluster
    finally:
        for which in reversed(started):
            with contextlib.suppress(RuntimeError):  # already stopped by a test
                cluster.stop(which, "immediate")
        shutil.rmtree(directory, ignore_errors=True)
