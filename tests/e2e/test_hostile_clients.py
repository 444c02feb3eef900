"""The server `users-posts serve` starts, against slow and hostile clients, over real sockets: a head
not finished in time is cut off, an oversized head gets a 431, connections beyond the cap a 503, idle
keep-alive ends, and no `server` banner. Small limits (settings) keep every case within seconds."""

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.servers import Server, closed_within, read_response, served, server_env, sqlite_copy

HEAD_TIMEOUT = 1.0
KEEP_ALIVE = 2.0
MAX_HEAD_BYTES = 2048
MAX_CONNECTIONS = 3
MARGIN = 4.0  # for a loaded machine: what must happen within T is awaited for up to T + MARGIN
REQUEST = b"GET /health/live HTTP/1.1\r\nHost: test\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("hostile")
    env = server_env(
        sqlite_copy(migrated_sqlite_template, directory),
        APP_SERVER_HEADER_TIMEOUT_SECONDS=str(HEAD_TIMEOUT),
        APP_SERVER_KEEP_ALIVE_SECONDS=str(KEEP_ALIVE),
        APP_SERVER_MAX_HEADER_BYTES=str(MAX_HEAD_BYTES),
        APP_SERVER_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    )
    with served(env, directory / "server.log") as server:
        yield server


def test_a_client_that_sends_nothing_is_disconnected_after_the_head_timeout(server: Server) -> None:
    with server.connect() as connection:
        started = time.monotonic()
        assert closed_within(connection, HEAD_TIMEOUT + MARGIN)
        assert time.monotonic() - started >= HEAD_TIMEOUT * 0.9


def test_a_head_trickled_in_is_cut_off_at_the_head_timeout(server: Server) -> None:
    with server.connect() as connection:
        connection.sendall(REQUEST)
        started = time.monotonic()
        cut = False
        while not cut and time.monotonic() - started < HEAD_TIMEOUT + MARGIN:
            try:
                connection.sendall(b"X-Slow: a\r\n")
            except OSError:  # pipe broken, reset: the server has closed
                cut = True
            time.sleep(HEAD_TIMEOUT / 10)  # the client's pace, not a wait for the server
            cut = cut or closed_within(connection, 0.001)
        assert cut
        assert time.monotonic() - started >= HEAD_TIMEOUT * 0.9


def test_a_head_within_the_limit_is_served(server: Server) -> None:
    with server.connect() as connection:
        padding = b"a" * (MAX_HEAD_BYTES - len(REQUEST) - 200)
        connection.sendall(REQUEST + b"X-Padding: " + padding + b"\r\n\r\n")
        status, _, _ = read_response(connection)
    assert status == 200


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"Authorization: Bearer " + b"a" * 200_000 + b"\r\n\r\n", id="one-huge-header"),
        pytest.param(b"X-A: b\r\n" * 5_000 + b"\r\n", id="many-headers"),
        pytest.param(b"X-Padding: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n", id="just-over-in-one-read"),
    ],
)
def test_a_head_over_the_limit_gets_431_and_the_connection_closes(server: Server, head: bytes) -> None:
    with server.connect() as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(REQUEST + head)  # may be closed while still sending: the answer came first
        status, headers, _ = read_response(connection)
        assert status == 431
        assert headers["connection"] == "close"
        assert closed_within(connection, MARGIN)


def test_connections_beyond_the_cap_get_503(server: Server) -> None:
    held = [server.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        for connection in held:  # each one answered: the server holds all of them now
            connection.sendall(REQUEST + b"\r\n")
            assert read_response(connection)[0] == 200
        with server.connect() as extra:
            extra.sendall(REQUEST + b"\r\n")
            assert read_response(extra)[0] == 503
    finally:
        for connection in held:
            connection.close()


def test_an_idle_keep_alive_connection_ends_after_the_keep_alive_timeout(server: Server) -> None:
    with server.connect() as connection:
        connection.sendall(REQUEST + b"\r\n")
        assert read_response(connection)[0] == 200
        started = time.monotonic()
        assert closed_within(connection, KEEP_ALIVE + MARGIN)
        assert time.monotonic() - started >= KEEP_ALIVE * 0.9


def test_responses_carry_no_server_banner(server: Server) -> None:
    with server.connect() as connection:
        connection.sendall(REQUEST + b"\r\n")
        status, headers, _ = read_response(connection)
    assert status == 200
    assert "server" not in headers
    assert "date" in headers
