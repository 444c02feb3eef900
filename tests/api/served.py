"""The app served over real HTTP by uvicorn in a subprocess, started the way a server command starts it:
uvicorn.run with the logging arguments of api.observability.uvicorn_logging."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.databases import ROOT

LAUNCH = """
import sys, uvicorn
from api.observability.uvicorn_logging import uvicorn_logging
from infrastructure.settings import load_settings
uvicorn.run(
    "api.app:create_served_app",
    factory=True,
    host="127.0.0.1",
    port=int(sys.argv[1]),
    **uvicorn_logging(load_settings()),
)
"""


@dataclass
class Served:
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def served(env: dict[str, str], log_path: Path, timeout: float = 20.0) -> Iterator[Served]:
    """Serve the app with `env` (on top of this process's) until the block exits, then stop it with
    SIGTERM and wait, so that its log is complete. Its stdout and stderr go to `log_path`."""
    port = _free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited ({process.returncode}): {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer: {log_path.read_text()[-2000:]}")
            time.sleep(0.05)  # polling for start-up, not waiting out a race
        yield Served(base_url, log_path)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
