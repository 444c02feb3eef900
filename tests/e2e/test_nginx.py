"""deploy/nginx.conf in front of a served app, over real sockets: it proxies, and cuts off slow heads,
oversized headers and idle keep-alive at the edge. Its timeouts are shortened for the test; everything
else is the shipped file."""

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import (
    Server,
    closed_within,
    read_response,
    served,
    server_env,
    sqlite_copy,
    wait_until_ready,
)
from throwaway.processes import ROOT, free_port

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed: apt-get update && apt-get install -y nginx"
)
HEAD_TIMEOUT = 1
KEEP_ALIVE = 1
MARGIN = 4.0
MAIN_CONF = """
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/users-posts.conf;
}}
"""


def site_conf(listen_port: int, app_port: int) -> str:
    """The shipped file, pointed at the test's ports, with short timeouts; fails if its shape changed."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    for pattern, replacement in [
        (r"listen 80;", f"listen 127.0.0.1:{listen_port};"),
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};"),
        (r"client_header_timeout 10s;", f"client_header_timeout {HEAD_TIMEOUT}s;"),
        (r"keepalive_timeout 5s;", f"keepalive_timeout {KEEP_ALIVE}s;"),
    ]:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"deploy/nginx.conf has no single {pattern!r}"
    return text


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path) -> Iterator[Server]:
    """nginx with deploy/nginx.conf on a free port, in front of `users-posts serve`."""
    tmp = tmp_path_factory.mktemp("nginx")
    with served(server_env(sqlite_copy(migrated_sqlite_template, tmp)), tmp / "app.log") as app:
        port = free_port()
        (tmp / "users-posts.conf").write_text(site_conf(port, app.port))
        (tmp / "nginx.conf").write_text(MAIN_CONF.format(tmp=tmp))
        command = [str(NGINX), "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf")]
        command += ["-g", f"daemon off; pid {tmp}/nginx.pid;"]
        with (tmp / "nginx.out").open("wb") as output:
            nginx = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        server = Server(nginx, port, tmp / "nginx.out")
        try:
            wait_until_ready(server, within_seconds=10)
            yield server
        finally:
            server.terminate()


def test_nginx_proxies_to_the_app_without_its_version(proxy: Server) -> None:
    response = httpx.get(proxy.base_url + "/users/", timeout=10)
    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["server"] == "nginx"


def test_nginx_cuts_off_a_head_not_sent_in_time(proxy: Server) -> None:
    with proxy.connect() as connection:
        connection.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n")
        assert closed_within(connection, HEAD_TIMEOUT + MARGIN)


def test_nginx_refuses_an_oversized_header(proxy: Server) -> None:
    with proxy.connect() as connection:
        connection.sendall(
            b"GET /users/me HTTP/1.1\r\nHost: test\r\nAuthorization: " + b"a" * 20_000 + b"\r\n\r\n"
        )
        status, _, _ = read_response(connection)
        assert status == 400
        assert closed_within(connection, MARGIN)


def test_nginx_ends_idle_keep_alive(proxy: Server) -> None:
    with proxy.connect() as connection:
        connection.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n")
        assert read_response(connection)[0] == 200
        assert closed_within(connection, KEEP_ALIVE + MARGIN)
