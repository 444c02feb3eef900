"""The benchmark harness every benchmark shares: our app's import target and environment, servers on
loopback (uvicorn, or `users-posts serve`), git worktrees of earlier commits, wrk runs measured
interleaved into medians, and a steady stream of registrations."""

import asyncio
import contextlib
import functools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import httpx

from api.cli.server import APP
from throwaway.processes import CLI, ROOT, free_port

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "wrk.lua"
HOST = "127.0.0.1"
# Ours as production runs it (JSON access events, metrics), and quiet: both off.
OURS_ENV = {"APP_LOG_FORMAT": "json", "APP_LOG_LEVEL": "INFO", "APP_METRICS_ENABLED": "true"}
QUIET_ENV = {"APP_LOG_FORMAT": "json", "APP_LOG_LEVEL": "WARNING", "APP_METRICS_ENABLED": "false"}
# What a tree older than api.cli.server's APP serves (6d105a6, the `before` of make bench, is one).
LEGACY_APP = "api.app:app"
_PRINT_APP = "from api.cli.server import APP; print(APP)"


@functools.cache
def app_target(cwd: Path = ROOT) -> str:
    """The import target of our app in the tree at `cwd`, as its own `users-posts serve` names it: an
    earlier commit is served the way it was served then."""
    if cwd == ROOT:
        return APP
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    done = subprocess.run(
        [sys.executable, "-c", _PRINT_APP], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return done.stdout.strip()
    if "ModuleNotFoundError" in done.stderr:
        return LEGACY_APP
    raise RuntimeError(f"cannot read the app's target in {cwd}: {done.stderr.strip()[-500:]}")


@dataclass(frozen=True, slots=True)
class Settings:
    """How long and how hard each measured run is, and which apps a `make bench` run serves."""

    warmup_s: float
    duration_s: float
    runs: int
    connections: int
    threads: int
    registrations_per_s: float
    flood_clients: int
    apps: tuple[str, ...] = ()
    before_dir: Path | None = None  # the worktree the `before` app is served from


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """A detached git worktree of `ref` in a temporary directory, removed at the end: the earlier app
    runs from its own files, nothing of it copied into this tree."""
    with tempfile.TemporaryDirectory(prefix="bench-before-") as directory:
        path = Path(directory) / "before"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(path), ref], check=True, capture_output=True)
        try:
            yield path
        finally:
            subprocess.run(
                [*git, "worktree", "remove", "--force", str(path)], check=False, capture_output=True
            )


def uvicorn_options() -> list[str]:
    """The same server options for every app: uvloop and httptools when installed, no access log."""
    loop = "uvloop" if find_spec("uvloop") else "asyncio"
    http = "httptools" if find_spec("httptools") else "h11"
    return ["--loop", loop, "--http", http, "--no-access-log"]


def _command(target: str, port: int, workers: int | None) -> list[str]:
    if workers is None:
        uvicorn = [sys.executable, "-m", "uvicorn", target, "--host", HOST, "--port", str(port)]
        return [*uvicorn, *uvicorn_options()]
    # Our app as production serves it: the `users-posts serve` command, its server options and workers.
    return [CLI, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]


@contextlib.contextmanager
def serve(
    target: str,
    env: dict[str, str],
    log_path: Path,
    timeout: float = 30.0,
    workers: int | None = None,
    announces: bool = True,
    cwd: Path = ROOT,
) -> Iterator[str]:
    """Run `uvicorn target` (1 worker) from `cwd`, or with `workers` our `users-posts serve --workers N`,
    on a free loopback port until the block exits; yields its URL. From another checkout (`cwd`), that
    checkout's modules are the ones imported. `announces=False` for a server logging warnings only: it
    never logs that it is running."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):  # another program may take the free port before uvicorn binds it
        port = free_port()
        with log_path.open("w") as log:
            process = subprocess.Popen(
                _command(target, port, workers),
                cwd=cwd,
                env={**os.environ, **env, **({"PYTHONPATH": str(cwd)} if cwd != ROOT else {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
            )
        try:
            base_url = f"http://{HOST}:{port}"
            if _wait_until_up(base_url, process, log_path, timeout, attempt == 2, announces):
                yield base_url
                return
        finally:
            _stop(process)


def _wait_until_up(
    base_url: str,
    process: subprocess.Popen[bytes],
    log_path: Path,
    timeout: float,
    last_try: bool,
    announces: bool,
) -> bool:
    """True once this very process listens (its startup line is logged) and answers HTTP;
    False when it could not bind its port and there are tries left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = log_path.read_text()
        if process.poll() is not None:
            if "address already in use" in log and not last_try:
                return False
            raise RuntimeError(f"server exited ({process.returncode}): {log[-1500:]}")
        if "Uvicorn running on" in log or not announces:
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base_url}/users/1", timeout=1.0)
                return True
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer within {timeout:.0f} s; log: {log_path}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass(frozen=True, slots=True)
class WrkRun:
    """One wrk run; an `error` means its figures must not be reported as throughput."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int

    @property
    def error(self) -> str | None:
        if self.non_2xx:
            return f"{self.non_2xx} non-2xx responses"
        if self.socket_errors:
            return f"{self.socket_errors} socket errors"
        if not self.requests:
            return "no responses"
        return None


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk(
    base_url: str,
    path: str,
    seconds: float,
    connections: int,
    threads: int,
    *,
    if_none_match: bool = False,
    request: Mapping[str, str] | None = None,
    script: tuple[Path, list[str]] | None = None,
) -> WrkRun:
    """Run wrk for `seconds` against `path` ("{id}" becomes a random user id); with `if_none_match`, each
    request names the user's version-1 ETag (a 304 from ours on seeded data). `request` sets the
    method, body and Authorization of a fixed path (WRK_METHOD, WRK_BODY, WRK_AUTHORIZATION: wrk.lua).
    `script` runs another wrk script with its arguments instead (`path` is then unused)."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script[0]), base_url, "--", *script[1]]
    else:
        command += ["-s", str(WRK_SCRIPT), base_url, "--", path]
        command += ["1000", "etag"] if if_none_match else []
    env = {**os.environ, **(request or {})}
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, env=env)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout[-500:]}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    socket_errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return WrkRun(
        requests_per_s=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        non_2xx=data["non_2xx_3xx"],
        socket_errors=socket_errors,
    )


def summarize(runs: list[WrkRun]) -> dict[str, Any]:
    """Medians of the runs, or an error when any run saw failed responses."""
    cell: dict[str, Any] = {"runs": [asdict(run) for run in runs]}
    errors = [run.error for run in runs if run.error]
    if errors:
        cell["error"] = f"error: {errors[0]}"
        return cell
    for metric in ("requests_per_s", "p50_ms", "p99_ms"):
        cell[metric] = statistics.median(getattr(run, metric) for run in runs)
    return cell


def measure(
    bases: dict[str, str],
    path: str,
    settings: Settings,
    during: Callable[[str], Any] | None = None,
    conditional: frozenset[str] = frozenset(),
    paths: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Warm-up, then `settings.runs` wrk runs per app, interleaved; `during(app)` wraps each run; the apps
    in `conditional` are sent `If-None-Match` with the current ETag; the apps in `paths` are asked their
    own path instead of `path` (two endpoints of one server compared)."""

    def one(app: str, seconds: float) -> WrkRun:
        context = during(app) if during else contextlib.nullcontext()
        with context:
            return wrk(
                bases[app],
                (paths or {}).get(app, path),
                seconds,
                settings.connections,
                settings.threads,
                if_none_match=app in conditional,
            )

    runs: dict[str, list[WrkRun]] = {app: [] for app in bases}
    try:
        for app in bases:
            one(app, settings.warmup_s)
        for n in range(settings.runs):
            for app in bases:
                runs[app].append(one(app, settings.duration_s))
                _progress(app, (paths or {}).get(app, path), f"run {n + 1}/{settings.runs}", runs[app][-1])
    except RuntimeError as error:  # wrk failed outright: report it, do not guess
        return {app: {"error": f"error: {error}"} for app in bases}
    return {app: summarize(runs[app]) for app in bases}


def _progress(app: str, path: str, which: str, run: WrkRun) -> None:
    figures = f"{run.requests_per_s:8.0f} req/s, p50 {run.p50_ms:6.1f} ms, p99 {run.p99_ms:6.1f} ms"
    print(f"    {app:<8} {path:<28} {which}: {figures} {run.error or ''}", flush=True)


@dataclass
class Registrations:
    """`POST /users/` with unique emails at a steady rate (open loop), in a background thread."""

    base_url: str
    rate: float
    max_in_flight: int = 8
    ok: int = 0
    failed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @contextlib.contextmanager
    def running(self, limit_s: float) -> Iterator["Registrations"]:
        """Register during the block (never longer than `limit_s`), then wait for the ones in flight."""
        self._stop.clear()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(limit_s),), daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=30)

    async def _main(self, limit_s: float) -> None:
        prefix = uuid.uuid4().hex[:12]
        deadline = time.monotonic() + limit_s
        pending: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(base_url=self.base_url, timeout=20.0) as client:
            n = 0
            next_at = time.monotonic()
            while not self._stop.is_set() and time.monotonic() < deadline:
                if len(pending) < self.max_in_flight:
                    n += 1
                    task = asyncio.create_task(self._register(client, f"bench-{prefix}-{n}@example.com"))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                next_at += 1 / self.rate
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if pending:
                await asyncio.wait(pending, timeout=20)

    async def _register(self, client: httpx.AsyncClient, email: str) -> None:
        body = {"name": "Bench User", "email": email, "password": "correct horse battery"}
        try:
            status = str((await client.post("/users/", json=body)).status_code)
        except httpx.HTTPError as error:
            status = type(error).__name__
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status.startswith("2"):
            self.ok += 1
        else:
            self.failed += 1
