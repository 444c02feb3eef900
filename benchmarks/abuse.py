"""Issue 10's measurements: what the new middleware costs the reads, and a login flood against our app
(peak RSS of the server, reads' p99 during the flood against idle)."""

import asyncio
import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from benchmarks import seed
from benchmarks.harness import HERE, Settings, app_target, serve, wrk

# Our app's rate limits raised so that the load generators never meet them: the benchmark measures
# serving, not refusing. (The defaults would stop the mixed run's registrations after 20.)
RAISED_LIMITS = {
    "APP_LIMIT_LOGIN_PER_ACCOUNT": "1000000/minute",
    "APP_LIMIT_LOGIN_PER_ADDRESS": "1000000/minute",
    "APP_LIMIT_REGISTER_PER_ADDRESS": "1000000/minute",
    "APP_LIMIT_POSTS_PER_USER": "1000000/minute",
}
BARE = "benchmarks.bare_app:app"
MIDDLEWARE_PATHS = {"get_user": "/users/{id}", "list_users": "/users/?limit=100"}
MAX_MIDDLEWARE_LOSS = 0.05
MAX_FLOOD_RSS_MIB = 600
MAX_FLOOD_P99_RATIO = 4.0


def server_pid(base_url: str) -> int | None:
    """The pid of the uvicorn serving `base_url` (started by benchmarks.harness.serve with --port)."""
    port = str(urlsplit(base_url).port)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            args = cmdline.read_bytes().split(b"\0")
            if (
                b"uvicorn" in b" ".join(args)
                and b"--port" in args
                and args[args.index(b"--port") + 1] == port.encode()
            ):
                return int(cmdline.parent.name)
    return None


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class LoginFlood:
    """`clients` concurrent login loops (closed loop: each sends its next login when the last is
    answered), as seeded users with their right password, and a sampler of the server's RSS."""

    base_url: str
    clients: int
    pid: int
    statuses: dict[str, int] = field(default_factory=dict)
    peak_rss_mib: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    @contextlib.contextmanager
    def running(self) -> Iterator["LoginFlood"]:
        self._stop.clear()
        threads = [
            threading.Thread(target=asyncio.run, args=(self._flood(),), daemon=True),
            threading.Thread(target=self._sample, daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=60)

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                self.peak_rss_mib = max(self.peak_rss_mib, rss_mib(self.pid))
            time.sleep(0.05)

    async def _flood(self) -> None:
        limits = httpx.Limits(max_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60.0, limits=limits) as client:
            await asyncio.gather(*(self._loop(client, n % seed.USERS + 1) for n in range(self.clients)))

    async def _loop(self, client: httpx.AsyncClient, user: int) -> None:
        form = {"username": f"user{user}@example.com", "password": "correct horse battery"}
        while not self._stop.is_set():
            try:
                status = str((await client.post("/auth/token", data=form)).status_code)
            except httpx.HTTPError as error:
                status = type(error).__name__
            self.statuses[status] = self.statuses.get(status, 0) + 1


def _run(base_url: str, path: str, seconds: float, connections: int, threads: int) -> dict[str, Any]:
    run = wrk(base_url, path, seconds, connections, threads)
    if run.error:
        return {"error": run.error}
    return {"requests_per_s": run.requests_per_s, "p50_ms": run.p50_ms, "p99_ms": run.p99_ms}


def _median(runs: list[dict[str, Any]], metric: str) -> float | None:
    values = sorted(r[metric] for r in runs if metric in r)
    return values[len(values) // 2] if values and len(values) == len(runs) else None


def middleware_cost(database: str, url: str, settings: Settings) -> dict[str, Any]:
    """Reads of our app with and without the security-header and Host middleware, interleaved."""
    env = {**RAISED_LIMITS, "APP_DATABASE_URL": url}
    result: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        bases = {
            name: stack.enter_context(serve(target, env, HERE / "results" / f"{database}-{name}.log"))
            for name, target in (("ours", app_target()), ("without_middleware", BARE))
        }
        for key, path in MIDDLEWARE_PATHS.items():
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in bases}
            for base in bases.values():
                wrk(base, path, settings.warmup_s, settings.connections, settings.threads)
            for _ in range(settings.runs):
                for name, base in bases.items():
                    runs[name].append(
                        _run(base, path, settings.duration_s, settings.connections, settings.threads)
                    )
            ours, bare = (
                _median(runs["ours"], "requests_per_s"),
                _median(runs["without_middleware"], "requests_per_s"),
            )
            cell: dict[str, Any] = {"runs": runs, "ours_rps": ours, "without_rps": bare}
            if ours and bare:
                cell["loss"] = 1 - ours / bare
            result[key] = cell
            print(f"    middleware {key}: ours {ours} req/s, without {bare} req/s", flush=True)
    return result


def login_flood(database: str, url: str, settings: Settings, clients: int) -> dict[str, Any]:
    """Reads' p99 idle, then during `clients` concurrent logins; the server's peak RSS meanwhile."""
    env = {**RAISED_LIMITS, "APP_DATABASE_URL": url}
    with serve(app_target(), env, HERE / "results" / f"{database}-flood.log") as base:
        pid = server_pid(base)
        if pid is None:
            return {"error": "error: the server's pid was not found"}
        wrk(base, "/users/{id}", settings.warmup_s, settings.connections, settings.threads)
        idle_rss = rss_mib(pid)
        idle = _run(base, "/users/{id}", settings.duration_s, settings.connections, settings.threads)
        flood = LoginFlood(base, clients, pid)
        with flood.running():
            time.sleep(min(2.0, settings.duration_s))  # the flood reaches its steady state
            during = _run(base, "/users/{id}", settings.duration_s, settings.connections, settings.threads)
        result = {
            "clients": clients,
            "idle": idle,
            "during": during,
            "idle_rss_mib": round(idle_rss, 1),
            "peak_rss_mib": round(flood.peak_rss_mib, 1),
            "logins": flood.statuses,
        }
        print(f"    login flood: {result}", flush=True)
        return result


def sqlite_copy(seeded: Path, directory: Path, name: str) -> str:
    copy = directory / f"{name}.db"
    shutil.copyfile(seeded, copy)
    return f"sqlite:///{copy}"
