"""A real PgBouncer (Debian's package) for tests and benchmarks: deploy/pgbouncer.ini with the overrides
a throwaway run needs, in front of a PostgreSQL server, on a free port, as the `postgres` OS user when
run as root."""

import configparser
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from throwaway.processes import ROOT, free_port, os_user

PGBOUNCER = shutil.which("pgbouncer") or next(
    (path for path in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.access(path, os.X_OK)), None
)
SKIP_PGBOUNCER = "pgbouncer is not installed: apt-get install -y pgbouncer (.ci/run does when run as root)"
DEPLOYED_INI = ROOT / "deploy" / "pgbouncer.ini"
START_WITHIN_SECONDS = 10


@dataclass
class PgBouncer:
    """deploy/pgbouncer.ini, run in `directory` with test overrides; stop() and start() it at will."""

    directory: Path
    port: int
    server_host: str
    server_port: int
    process: subprocess.Popen[bytes] | None = None

    def url(self, database_url: str) -> str:
        """`database_url`, through this PgBouncer."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def write_ini(self, user: str) -> Path:
        ini = configparser.ConfigParser()
        ini.read(DEPLOYED_INI)
        ini["databases"]["*"] = f"host={self.server_host} port={self.server_port}"
        ini["pgbouncer"].update(
            {
                "listen_port": str(self.port),
                "unix_socket_dir": "",
                "auth_type": "trust",  # as the test server; pgbouncer still wants the user listed
                "auth_file": str(self.directory / "userlist.txt"),
                "default_pool_size": "2",  # so that server connections swap between transactions
                "reserve_pool_size": "0",
                "logfile": str(self.directory / "pgbouncer.log"),
                "pidfile": str(self.directory / "pgbouncer.pid"),
                "admin_users": user,
                "stats_users": user,
            }
        )
        (self.directory / "userlist.txt").write_text(f'"{user}" ""\n')
        path = self.directory / "pgbouncer.ini"
        with path.open("w") as output:
            ini.write(output)
        return path

    def start(self) -> None:
        assert PGBOUNCER is not None
        runner = os_user()
        ini = self.directory / "pgbouncer.ini"
        self.process = subprocess.Popen(
            [PGBOUNCER, str(ini)],
            user=runner.pw_uid if runner else None,
            group=runner.pw_gid if runner else None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_WITHIN_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)  # polling for it to listen
        raise RuntimeError(f"pgbouncer did not listen within {START_WITHIN_SECONDS} s: {self.log()[-2000:]}")

    def stop(self) -> None:
        """Immediate shutdown (SIGTERM): client connections are dropped."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def pgbouncer_in_front_of(database_url: str) -> Iterator[PgBouncer]:
    """A running PgBouncer in transaction mode in front of `database_url`'s server; removed after."""
    url = make_url(database_url)
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    runner = os_user()
    if runner:
        os.chown(directory, runner.pw_uid, runner.pw_gid)
    bouncer = PgBouncer(directory, free_port(), url.host or "127.0.0.1", url.port or 5432)
    bouncer.write_ini(url.username or "postgres")
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(directory, ignore_errors=True)
