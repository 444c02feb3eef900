"""SIGTERM: requests in flight finish with their answer and their rows, then the process exits; one that
cannot finish is given up after the grace period, and the process still exits.

"In flight" is observed, not waited for: a request is in the server's hands once the server has read
its bytes off the socket (its receive queue in /proc/net/tcp is empty), since uvicorn parses what it
reads and starts the request there and then."""

import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.e2e.servers import Server, read_response, served, server_env

GRACE_SECONDS = 1.0
IN_FLIGHT = 4
PROC_NET_TCP = Path("/proc/net/tcp")
# uvicorn re-raises the signal once it has shut down gracefully: the exit status says "SIGTERM".
CLEAN_EXIT = (0, -signal.SIGTERM)
pytestmark = pytest.mark.skipif(not PROC_NET_TCP.exists(), reason="needs Linux's /proc/net/tcp")


def unread_bytes(server: Server, client_ports: set[int]) -> dict[int, int]:
    """For each client port connected to the server: the bytes the server has not read yet."""
    unread = {}
    for line in PROC_NET_TCP.read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server.port and remote_port in client_ports:
            unread[remote_port] = int(fields[4].split(":")[1], 16)
    return unread


def wait_until_read(server: Server, client_ports: set[int], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        unread = unread_bytes(server, client_ports)
        if set(unread) == client_ports and not any(unread.values()):
            return
        time.sleep(0.01)  # polling an observable state, not guessing a delay
    raise AssertionError(f"the server has not read every request: {unread}")


def registration(n: int) -> bytes:
    body = json.dumps(
        {"name": f"In flight {n}", "email": f"flight{n}@example.com", "password": "long enough"}
    )
    return (
        f"POST /users/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def test_requests_in_flight_at_sigterm_finish_then_the_process_exits(
    sqlite_database: str, tmp_path: Path
) -> None:
    env = server_env(sqlite_database, APP_SHUTDOWN_GRACE_SECONDS="30")
    with served(env, tmp_path / "server.log") as server:
        connections = [server.connect(timeout=30) for _ in range(IN_FLIGHT)]
        for n, connection in enumerate(connections):
            connection.sendall(registration(n))
        wait_until_read(server, {connection.getsockname()[1] for connection in connections})

        server.process.terminate()  # SIGTERM while argon2 hashes the passwords
        answers = [read_response(connection) for connection in connections]
        exit_code = server.terminate()

    assert [status for status, _, _ in answers] == [201] * IN_FLIGHT
    assert exit_code in CLEAN_EXIT
    path = sqlite_database.split("///", 1)[1]
    with sqlite3.connect(path) as database:
        emails = {email for (email,) in database.execute("SELECT email FROM user")}
    assert emails == {f"flight{n}@example.com" for n in range(IN_FLIGHT)}
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text()  # pool closed


def test_a_request_that_cannot_finish_is_given_up_after_the_grace_period(
    sqlite_database: str, tmp_path: Path
) -> None:
    env = server_env(sqlite_database, APP_SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS))
    with served(env, tmp_path / "server.log") as server, server.connect() as stalled:
        stalled.sendall(registration(0)[:-5])  # the body never completes
        wait_until_read(server, {stalled.getsockname()[1]})

        started = time.monotonic()
        server.process.terminate()
        exit_code = server.terminate()  # fails the test after 15 s: the default grace would wait forever
        took = time.monotonic() - started

    assert exit_code in CLEAN_EXIT
    assert GRACE_SECONDS <= took < GRACE_SECONDS + 10
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text()
