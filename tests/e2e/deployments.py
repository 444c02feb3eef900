"""Helpers of the deployment tests: the wheelhouse and the image made by the Makefile's own targets (the
tests build what `make image` builds, the same way), and waiting for a deployed server to be ready."""

import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx
import pytest

from throwaway.processes import ROOT

REQUIREMENTS_LOCK = ROOT / "requirements.lock"
READY_WITHIN_SECONDS = 60


def make(*arguments: str, timeout: float = 600) -> str:
    """`make ARGUMENTS` in the source tree, with this interpreter's pip; the test fails with make's output
    when it does."""
    result = subprocess.run(
        ["make", "--no-print-directory", f"PYTHON={sys.executable}", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"make {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wheelhouse() -> Path:
    """The project's wheel and its locked dependencies (made again only when the sources changed)."""
    make("wheelhouse")
    return ROOT / "wheelhouse"


def wait_until_ready(
    base_url: str,
    running: Callable[[], bool],
    output: Callable[[], str],
    headers: Mapping[str, str] | None = None,
) -> None:
    """Return once `base_url` answers /health/ready with a 200; fail with the server's output if it
    stops running or does not answer in time."""
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health/ready", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if not running():
            pytest.fail(f"the server stopped before it was ready:\n{output()}")
        time.sleep(0.2)  # polling for the server to listen: the event waited for is the answer
    pytest.fail(f"no readiness within {READY_WITHIN_SECONDS} s:\n{output()}")
