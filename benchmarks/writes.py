"""The writes of `make bench`: our app against the tutorial-style app on the writes, a mixed workload,
and the CPU per request of 2 workers against 1.

- `POST /posts/`: ours as a signed-in user (bearer token; rate limits on, raised out of reach), the
  tutorial's taking `author_id` in the body;
- `PATCH /posts/{id}`: ours with `If-Match` naming the version its last answer gave, the tutorial's
  through `sqlmodel_update`;
- the refresh grant (`POST /auth/token`, `grant_type=refresh_token`, each token used once): ours only,
  the tutorial has none;
- mixed: 90 % reads (a user, a post), 8 % creates, 2 % refreshes, over 1 000 signed-in users at -c64;
- `GET /users/{id}` on ours in the same run, whose CPU per request the create's is compared with;
- CPU per request of `GET /users/{id}` with `users-posts serve --workers 2` against 1 (PostgreSQL: the
  embedded SQLite database serves one process, and `--workers` above 1 refuses it).

Each measured app gets a database of its own (a copy of the seeded SQLite file; a seeded PostgreSQL
database per app), with the seeded users' password hash swapped for a cheap argon2 one so that signing
in 1 000 users takes seconds (their logins are the set-up, not what is measured). Runs are interleaved
app by app; req/s, p50, p99 and the server's CPU per request (its processes' user + system time over
the run, from /proc) are medians over the runs.

    python -m benchmarks.writes --databases sqlite,postgresql --runs 3
"""

import argparse
import asyncio
import contextlib
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from benchmarks import report, seed
from benchmarks.ab import cpu_seconds, server_pids
from benchmarks.abuse import RAISED_LIMITS
from benchmarks.harness import HERE, OURS_ENV, Settings, WrkRun, app_target, serve, summarize, wrk
from benchmarks.sections import MIXED_CONNECTIONS, WORKER_COUNTS, WRITE_LABELS, X, write_rows
from benchmarks.sections import WRITE_TARGETS as TARGETS

SCRIPT = HERE / "writes.lua"
BASELINE = "benchmarks.baseline_app:app"
# The driver each app speaks (as benchmarks.run's SCHEMES).
SCHEMES = {
    "sqlite": {"baseline": "sqlite", "ours": "sqlite"},
    "postgresql": {"baseline": "postgresql+psycopg", "ours": "postgresql+asyncpg"},
}
SIGNED_IN = 1_000  # users signed in for the runs (every seeded user)
# Our environment for the runs: as production (JSON access events, metrics, rate limits on, raised out
# of the load's reach), with access tokens outliving the run.
OURS = {**OURS_ENV, **RAISED_LIMITS, "APP_ACCESS_TOKEN_MINUTES": "120", "APP_JWT_SECRET": "b" * 48}
# (key, wrk script mode per app, connections); their labels are sections.WRITE_LABELS
WRITES = [
    ("create", {"baseline": "tutorial_create", "ours": "create"}, None),
    ("patch", {"baseline": "tutorial_patch", "ours": "patch"}, None),
    ("refresh", {"ours": "refresh"}, None),
    ("mixed", {"ours": "mixed"}, MIXED_CONNECTIONS),
]


def cheap_hash() -> str:
    """An argon2id hash of the seeded password that verifies in well under a millisecond."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(seed.PASSWORD)


async def _sign_in(base_url: str, user_id: int, client: httpx.AsyncClient) -> str:
    login = {"username": seed.email_of(user_id), "password": seed.PASSWORD}
    answer = await client.post(base_url + "/auth/token", data=login)
    answer.raise_for_status()
    body = answer.json()
    # Post `user_id` of the seed is the user's own (post j is written by user (j - 1) % USERS + 1).
    return f"{user_id} {body['access_token']} {body['refresh_token']} {user_id} 1"


async def _sign_in_all(base_url: str, users: int) -> list[str]:
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=60) as client:

        async def one(user_id: int) -> str:
            async with limit:
                return await _sign_in(base_url, user_id, client)

        return list(await asyncio.gather(*(one(i) for i in range(1, users + 1))))


def credentials(base_url: str, path: Path, users: int = SIGNED_IN) -> Path:
    """Sign in `users` seeded users on ours; their tokens and a post each, as writes.lua reads them."""
    path.write_text("\n".join(asyncio.run(_sign_in_all(base_url, users))) + "\n")
    return path


def _anonymous(path: Path, users: int = SIGNED_IN) -> Path:
    """The same lines for the tutorial-style app, which signs nobody in: ids and posts only."""
    path.write_text("".join(f"{i} - - {i} 1\n" for i in range(1, users + 1)))
    return path


def measure(
    bases: dict[str, str], modes: dict[str, str], files: dict[str, Path], settings: Settings, connections: int
) -> dict[str, dict[str, Any]]:
    """Warm-up, then interleaved runs per app: medians of req/s, p50, p99 and server CPU per request."""
    pids = {app: server_pids(base) for app, base in bases.items()}

    def one(app: str, seconds: float) -> tuple[WrkRun, float]:
        script = (SCRIPT, [modes[app], str(files[app]), str(settings.threads)])
        used = cpu_seconds(pids[app])
        run = wrk(bases[app], "", seconds, connections, settings.threads, script=script)
        return run, 1e6 * (cpu_seconds(pids[app]) - used) / max(run.requests, 1)

    runs: dict[str, list[WrkRun]] = {app: [] for app in bases}
    cpu: dict[str, list[float]] = {app: [] for app in bases}
    try:
        for app in bases:
            one(app, settings.warmup_s)
        for n in range(settings.runs):
            for app in bases if n % 2 == 0 else list(reversed(bases)):
                run, us = one(app, settings.duration_s)
                runs[app].append(run)
                cpu[app].append(us)
                print(
                    f"    {app:<8} {modes[app]:<16} run {n + 1}/{settings.runs}: {run.requests_per_s:7.0f}"
                    f" req/s, p50 {run.p50_ms:5.1f} ms, p99 {run.p99_ms:6.1f} ms, CPU {us:5.0f} us/req"
                    f" {run.error or ''}",
                    flush=True,
                )
    except RuntimeError as error:
        return {app: {"error": f"error: {error}"} for app in bases}
    cells = {}
    for app in bases:
        cells[app] = summarize(runs[app])
        cells[app]["cpu_us"] = statistics.median(cpu[app])
    return cells


def _get_user(base_url: str, settings: Settings) -> dict[str, Any]:
    """GET /users/{id} on ours (random seeded ids, wrk.lua), with its server CPU per request."""
    pids = server_pids(base_url)
    wrk(base_url, "/users/{id}", settings.warmup_s, settings.connections, settings.threads)
    runs, cpu = [], []
    for _ in range(settings.runs):
        used = cpu_seconds(pids)
        runs.append(wrk(base_url, "/users/{id}", settings.duration_s, settings.connections, settings.threads))
        cpu.append(1e6 * (cpu_seconds(pids) - used) / max(runs[-1].requests, 1))
    return summarize(runs) | {"cpu_us": statistics.median(cpu)}


def bench_writes(database: str, urls: dict[str, str], directory: Path, settings: Settings) -> dict[str, Any]:
    """Serve the tutorial-style app and ours, each on its own database, and measure every write."""
    cells: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        bases = {}
        for app in ("baseline", "ours"):
            env = {"APP_DATABASE_URL": urls[app], "BENCH_DATABASE_URL": urls[app]}
            env |= OURS if app == "ours" else {}
            log = HERE / "results" / f"{database}-writes-{app}.log"
            bases[app] = stack.enter_context(serve(BASELINE if app == "baseline" else app_target(), env, log))
        print(f"  {database}: signing in {SIGNED_IN} users", flush=True)
        files = {
            "ours": credentials(bases["ours"], directory / "ours-credentials.txt"),
            "baseline": _anonymous(directory / "baseline-credentials.txt"),
        }
        print(f"  {database}: GET /users/{{id}} (ours, the CPU a create is compared with)", flush=True)
        cells["get_user"] = {"ours": _get_user(bases["ours"], settings)}
        for key, modes, connections in WRITES:
            print(f"  {database}: {WRITE_LABELS[key]}", flush=True)
            live = {app: bases[app] for app in modes}
            cells[key] = measure(live, modes, files, settings, connections or settings.connections)
    return cells


def bench_workers(database: str, url: str, settings: Settings) -> dict[str, Any]:
    """CPU per request of GET /users/{id} with `users-posts serve --workers N` (N in WORKER_COUNTS),
    runs interleaved."""
    print(f"  {database}: GET /users/{{id}}, CPU per request with 1 and 2 workers", flush=True)
    with contextlib.ExitStack() as stack:
        bases = {}
        for workers in WORKER_COUNTS:
            log = HERE / "results" / f"{database}-writes-{workers}-workers.log"
            env = {**OURS_ENV, "APP_DATABASE_URL": url}
            bases[str(workers)] = stack.enter_context(serve(app_target(), env, log, workers=workers))
        pids = {key: server_pids(base) for key, base in bases.items()}
        runs: dict[str, list[WrkRun]] = {key: [] for key in bases}
        cpu: dict[str, list[float]] = {key: [] for key in bases}
        for base in bases.values():
            wrk(base, "/users/{id}", settings.warmup_s, settings.connections, settings.threads)
        for n in range(settings.runs):
            for key in bases if n % 2 == 0 else list(reversed(bases)):
                used = cpu_seconds(pids[key])
                load = (settings.duration_s, settings.connections, settings.threads)
                runs[key].append(wrk(bases[key], "/users/{id}", *load))
                cpu[key].append(1e6 * (cpu_seconds(pids[key]) - used) / max(runs[key][-1].requests, 1))
    cells = {key: summarize(runs[key]) | {"cpu_us": statistics.median(cpu[key])} for key in bases}
    one, two = (cells[str(n)]["cpu_us"] for n in WORKER_COUNTS)
    return {"cells": cells, "cpu_ratio": two / one if one else None}


def _cheapen_sqlite(path: Path, password_hash: str) -> None:
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute('UPDATE "user" SET password_hash = ?', (password_hash,))
    finally:
        connection.close()


def bench_sqlite(settings: Settings) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as name:
        directory = Path(name)
        seeded = directory / "seed.db"
        seed.seed_sqlite(seeded)
        _cheapen_sqlite(seeded, cheap_hash())
        urls = {}
        for app in ("baseline", "ours"):
            shutil.copyfile(seeded, directory / f"{app}.db")
            urls[app] = f"{SCHEMES['sqlite'].get(app, 'sqlite')}:///{directory / f'{app}.db'}"
        # No workers section: the embedded database serves one process (`--workers` above 1 refuses it).
        return {"cells": bench_writes("sqlite", urls, directory, settings)}


@contextlib.contextmanager
def _postgres(admin_url: str, password_hash: str) -> Iterator[str]:
    import psycopg

    with seed.seeded_postgres(admin_url) as url:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute('UPDATE "user" SET password_hash = %s', (password_hash,))
        yield url


def bench_postgres(admin_url: str, settings: Settings) -> dict[str, Any]:
    password_hash = cheap_hash()
    with (
        tempfile.TemporaryDirectory(prefix="bench-writes-") as name,
        _postgres(admin_url, password_hash) as baseline,
        _postgres(admin_url, password_hash) as ours,
    ):
        rest = {"baseline": baseline.split("://", 1)[1], "ours": ours.split("://", 1)[1]}
        urls = {app: f"{SCHEMES['postgresql'][app]}://{rest[app]}" for app in rest}
        result = {"cells": bench_writes("postgresql", urls, Path(name), settings)}
        result["workers"] = bench_workers("postgresql", seed.asyncpg_url(baseline), settings)
        return result


def bench(database: str, settings: Settings, admin_url: str) -> dict[str, Any]:
    """The write section of one database, or why it failed."""
    try:
        started = time.monotonic()
        result = bench_sqlite(settings) if database == "sqlite" else bench_postgres(admin_url, settings)
        load = f"wrk -t{settings.threads} -c{settings.connections} (mixed: -c{MIXED_CONNECTIONS})"
        runs = f"{settings.warmup_s:g} s warm-up, {settings.runs} {X} {settings.duration_s:g} s interleaved"
        return result | {
            "date": report_now(),
            "elapsed_s": round(time.monotonic() - started),
            "load": f"{load}, {runs}",
        }
    except (RuntimeError, httpx.HTTPError) as error:
        print(f"  failed: {error}", file=sys.stderr, flush=True)
        return {"failed": str(error)}


def report_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--record",
        action="store_true",
        help="put this run's write sections into benchmarks/results.json and render RESULTS.md again",
    )
    args = parser.parse_args(argv)
    settings = Settings(args.warmup, args.duration, args.runs, args.connections, args.threads, 1.0, 0)
    results: dict[str, dict[str, Any]] = {}
    for database in args.databases.split(","):
        print(database, flush=True)
        results[database] = bench(database, settings, args.postgres_url)
        print("\n".join(write_rows(database, results[database])) + "\n", flush=True)
    if args.record:
        record(results)
    return 0


def record(results: dict[str, dict[str, Any]]) -> None:
    """Merge the write sections into the recorded `make bench` run and render its report again."""

    def merge(recorded: dict[str, Any]) -> None:
        for database, result in results.items():
            recorded["databases"].setdefault(database, {})["writes"] = result
        recorded["targets"]["writes"] = TARGETS

    report.record(merge)


if __name__ == "__main__":
    sys.exit(main())
