"""Real `users-posts serve` processes for tests: free ports, readiness, SIGTERM at the end."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from throwaway.processes import CLI, free_port

START_WITHIN_SECONDS = 30
STOP_WITHIN_SECONDS = 15


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self, timeout: float = 10) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        connection.settimeout(timeout)
        return connection

    def terminate(self) -> int:
        """SIGTERM, then the exit status (killed, and the test failed, if it takes too long)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"still running {STOP_WITHIN_SECONDS} s after SIGTERM") from None


def sqlite_copy(template: Path, directory: Path) -> str:
    """The URL of a copy of the migrated SQLite `template` in `directory`: the served app's own file."""
    path = directory / "app.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


SHARED_SECRET = secrets.token_urlsafe(48)


def server_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a served app: this one's, minus its APP_ settings, plus the given ones. Every
    app served by a test signs tokens with one secret, as instances behind one load balancer must."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("APP_")}
    env.update(
        {"APP_ENV": "test", "APP_DATABASE_URL": database_url, "APP_JWT_SECRET": SHARED_SECRET, **settings}
    )
    return env


@contextmanager
def served(env: dict[str, str], log: Path, *arguments: str, port: int | None = None) -> Iterator[Server]:
    """`users-posts serve` on `port` (a free one if None), once /health/live answers; stopped with
    SIGTERM after."""
    port = port or free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [CLI, "serve", "--port", str(port), *arguments], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(process, port, log)
    try:
        wait_until_ready(server)
        yield server
    finally:
        if process.poll() is None:
            server.terminate()


def wait_until_ready(server: Server, within_seconds: float = START_WITHIN_SECONDS) -> None:
    """Until `server` (the app, or a proxy in front of it) answers /health/live; a failed test if it
    exits or does not answer in time."""
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited: {server.log.read_text()}")
        try:
            if httpx.get(server.base_url + "/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling for the server to listen: the event waited for is the answer
    raise AssertionError(f"no answer within {within_seconds} s: {server.log.read_text()}")


def read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a content-length from a raw socket: status, headers, body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def closed_within(connection: socket.socket, seconds: float) -> bool:
    """Whether the server closes `connection` (EOF or reset) within `seconds`; data read is dropped."""
    connection.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not connection.recv(65536):
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return False
