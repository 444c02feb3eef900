"""`make bench`: our app against the tutorial-style baselines, the app as it was before, and the raw ceiling.

Apps: the tutorial-style `baseline` (sync), the tutorial's own async way (`tutorial_async`), `before` (our
app at an earlier commit, served from a git worktree of it made for the run), `ours` and the `ceiling`.
For each database: seed identical data, start the apps (uvicorn, 1 worker, same options, loopback),
probe every endpoint once (status and JSON shape), then per endpoint a wrk warm-up and N measured runs
per app, the apps interleaved run by run so the machine's noise hits them alike. Then the mixed run:
`GET /users/{id}` measured while registrations arrive at a steady rate. Last, the writes against the
tutorial-style app's (benchmarks/writes.py). Medians go to
benchmarks/RESULTS.md (markdown) and benchmarks/results.json.
"""

import argparse
import contextlib
import json
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx

from benchmarks import abuse, comments, report, scale_out, seed, writes
from benchmarks.harness import (
    HERE,
    OURS_ENV,
    QUIET_ENV,
    Registrations,
    Settings,
    app_target,
    measure,
    serve,
    uvicorn_options,
    worktree,
    wrk_available,
)
from throwaway.processes import ROOT

# Each app's import target; None: our app, named by its own tree (`before` is served from the
# worktree of --before).
APPS: dict[str, str | None] = {
    "baseline": "benchmarks.baseline_app:app",
    "tutorial_async": "benchmarks.tutorial_async_app:app",
    "before": None,
    "ours": None,
    "ceiling": "benchmarks.ceiling_app:app",
}
# The driver each app speaks, as an SQLAlchemy-style URL scheme.
SCHEMES = {
    "sqlite": {
        "baseline": "sqlite",
        "tutorial_async": "sqlite+aiosqlite",
        "before": "sqlite",
        "ours": "sqlite",
        "ceiling": "sqlite",
    },
    "postgresql": {
        "baseline": "postgresql+psycopg",
        "tutorial_async": "postgresql+asyncpg",
        "before": "postgresql+asyncpg",
        "ours": "postgresql+asyncpg",
        "ceiling": "postgresql",
    },
}
BEFORE = "6d105a6"  # the Core-statement repositories, before the SQLModel sessions
USER_KEYS = {"id", "name", "email", "created_at"}
PUBLIC_USER_KEYS = {"id", "name", "created_at"}  # ours shows an email to its owner only
POST_KEYS = {"id", "title", "content", "author_id", "created_at", "updated_at"}
OURS_POST_KEYS = POST_KEYS | {"comment_count"}  # ours shows how many comments a post has


@dataclass(frozen=True, slots=True)
class Endpoint:
    key: str
    label: str
    path: str  # for wrk; "{id}" is a random user id
    probe: str  # one request checked before the load
    keys: set[str]
    length: int | None  # items expected from the probe when it answers a list


ENDPOINTS = [
    Endpoint("get_user", "GET /users/{id}", "/users/{id}", "/users/1", USER_KEYS, None),
    Endpoint("list_users", "GET /users/?limit=100", "/users/?limit=100", "/users/?limit=100", USER_KEYS, 100),
    Endpoint(
        "user_posts",
        "GET /users/{id}/posts?limit=100",
        "/users/{id}/posts?limit=100",
        "/users/1/posts?limit=100",
        POST_KEYS,
        seed.POSTS_PER_USER,
    ),
]
MIXED = "get_user_during_registrations"


def probe(base_url: str, endpoint: Endpoint) -> str | None:
    """None when the endpoint answers 200 with the expected JSON shape, else why it cannot be measured."""
    try:
        response = httpx.get(base_url + endpoint.probe, timeout=10)
    except httpx.HTTPError as error:
        return f"error: probe failed ({type(error).__name__})"
    if response.status_code != 200:
        return f"error: probe answered {response.status_code}"
    body = response.json()
    items = body if endpoint.length is not None else [body]
    if not isinstance(items, list) or (endpoint.length is not None and len(items) != endpoint.length):
        return "error: unexpected response shape"
    accepted = [endpoint.keys, PUBLIC_USER_KEYS] if endpoint.keys == USER_KEYS else [endpoint.keys]
    accepted += [OURS_POST_KEYS] if endpoint.keys == POST_KEYS else []
    if any(not isinstance(item, dict) or set(item) not in accepted for item in items):
        return "error: unexpected response fields"
    return None


def bench_database(database: str, urls: dict[str, str], settings: Settings) -> dict[str, Any]:
    """Start the three apps on one database and measure every endpoint plus the mixed run."""
    cells: dict[str, dict[str, Any]] = {app: {} for app in settings.apps}
    with contextlib.ExitStack() as stack:
        bases = {}
        for app in settings.apps:
            env = {"APP_DATABASE_URL": urls[app], "BENCH_DATABASE_URL": urls[app], **abuse.RAISED_LIMITS}
            env |= OURS_ENV if app == "ours" else {}
            log = HERE / "results" / f"{database}-{app}.log"
            cwd = settings.before_dir if app == "before" and settings.before_dir else ROOT
            bases[app] = stack.enter_context(serve(APPS[app] or app_target(cwd), env, log, cwd=cwd))
        for endpoint in ENDPOINTS:
            print(f"  {database}: {endpoint.label}", flush=True)
            live = {}
            for app, base_url in bases.items():
                if problem := probe(base_url, endpoint):
                    kind = "unavailable" if problem.startswith("n/a") else "error"
                    cells[app][endpoint.key] = {kind: problem}
                    print(f"    {app:<8} {problem}", flush=True)
                else:
                    live[app] = base_url
            for app, cell in measure(live, endpoint.path, settings).items():
                cells[app][endpoint.key] = cell

        # The sections on our app alone (its logging and metrics, its middleware, its workers) need it.
        observability = (
            measure_observability(database, urls["ours"], bases["ours"], settings)
            if "ours" in bases
            else None
        )
        conditional = measure_conditional(database, bases["ours"], settings) if "ours" in bases else None
        if "ours" in bases:
            print(f"  {database}: {comments.COMMENTS_PATH} vs {comments.POSTS_PATH} (ours)", flush=True)
        post_comments = comments.measure_comments(bases["ours"], settings) if "ours" in bases else None

        print(f"  {database}: GET /users/{{id}} during registrations", flush=True)
        live = {app: url for app, url in bases.items() if "requests_per_s" in cells[app]["get_user"]}
        registrations: dict[str, list[Registrations]] = {app: [] for app in live}

        def registering(app: str) -> Any:
            registrations[app].append(Registrations(live[app], settings.registrations_per_s))
            return registrations[app][-1].running(settings.duration_s + 10)

        for app, cell in measure(live, "/users/{id}", settings, during=registering).items():
            done = registrations[app][1:]  # the warm-up's are not counted
            ok, failed = sum(r.ok for r in done), sum(r.failed for r in done)
            statuses: dict[str, int] = {}
            for r in done:
                for status, count in r.statuses.items():
                    statuses[status] = statuses.get(status, 0) + count
            cell["registrations"] = {"ok": ok, "failed": failed, "statuses": statuses}
            if failed and "error" not in cell:
                cell["error"] = f"error: {failed} registrations failed {statuses}"
            cells[app][MIXED] = cell
    return {
        "apps": cells,
        "observability": observability,
        "conditional": conditional,
        "comments": post_comments,
    }


def measure_observability(
    database: str, url: str, ours_base: str, settings: Settings
) -> dict[str, dict[str, Any]]:
    """GET /users/{id} on ours with logging and metrics on (the running "ours") and off (a second
    server on the same data, only read here), interleaved: {"on": cell, "off": cell}."""
    print(f"  {database}: GET /users/{{id}}, logging and metrics on vs off", flush=True)
    env = {"APP_DATABASE_URL": url, **QUIET_ENV}
    log = HERE / "results" / f"{database}-ours-quiet.log"
    try:
        with serve(app_target(), env, log, announces=False) as quiet_base:
            cells = measure({"on": ours_base, "off": quiet_base}, "/users/{id}", settings)
    except RuntimeError as error:
        return {"on": {"error": f"error: {error}"}, "off": {"error": f"error: {error}"}}
    return cells


def measure_conditional(database: str, ours_base: str, settings: Settings) -> dict[str, dict[str, Any]]:
    """GET /users/{id} on ours, plain (200 with the body) and with `If-None-Match` naming the current
    ETag (304 without one), interleaved: {"200": cell, "304": cell}."""
    print(f"  {database}: GET /users/{{id}}, 200 vs 304 (If-None-Match)", flush=True)
    bases = {"200": ours_base, "304": ours_base}
    return measure(bases, "/users/{id}", settings, conditional=frozenset({"304"}))


WORKER_COUNTS = (1, 2)


def bench_workers(url: str, settings: Settings) -> dict[str, Any]:
    """`GET /users/{id}` on our app served by `users-posts serve --workers N` for N in WORKER_COUNTS
    (runs interleaved), and the throughput of the most workers over one worker's."""
    endpoint = ENDPOINTS[0]
    print(f"  postgresql: {endpoint.label}, users-posts serve --workers {'/'.join(map(str, WORKER_COUNTS))}")
    with contextlib.ExitStack() as stack:
        bases = {}
        for workers in WORKER_COUNTS:
            log = HERE / "results" / f"postgresql-ours-{workers}-workers.log"
            env = {"APP_DATABASE_URL": url}  # the default pool: a user would not tune it
            bases[f"{workers}"] = stack.enter_context(serve(app_target(), env, log, workers=workers))
        for key, base_url in bases.items():
            if problem := probe(base_url, endpoint):
                return {"error": f"{key} worker(s): {problem}"}
        cells = measure(bases, endpoint.path, settings)
    one, most = (_throughput(cells[f"{n}"]) for n in (WORKER_COUNTS[0], WORKER_COUNTS[-1]))
    return {"cells": cells, "scaling": most / one if one and most else None}


def _throughput(cell: dict[str, Any]) -> float | None:
    return cell.get("requests_per_s") if "error" not in cell else None


def bench_sqlite(settings: Settings) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        seeded = Path(directory) / "seed.db"
        seed.seed_sqlite(seeded)
        urls = {}
        for app in settings.apps:  # a fresh copy of the same file per app: registrations stay apart
            copy = Path(directory) / f"{app}.db"
            shutil.copyfile(seeded, copy)
            urls[app] = f"{SCHEMES['sqlite'][app]}:///{copy}"
        result = bench_database("sqlite", urls, settings)
        if "ours" not in settings.apps:
            return result
        directory_path = Path(directory)
        result["abuse"] = bench_abuse(
            "sqlite",
            lambda name: abuse.sqlite_copy(seeded, directory_path, name),
            settings,
        )
    result["writes"] = writes.bench("sqlite", settings, "")
    return result


def bench_abuse(database: str, url_for: Callable[[str], str], settings: Settings) -> dict[str, Any]:
    """Issue 10's measurements on our app: the new middleware's cost, and the login flood."""
    print(f"  {database}: security middleware cost, then a login flood", flush=True)
    try:
        return {
            "middleware": abuse.middleware_cost(database, url_for("middleware"), settings),
            "flood": abuse.login_flood(database, url_for("flood"), settings, settings.flood_clients),
        }
    except RuntimeError as error:
        return {"failed": str(error)}


def postgres_unavailable(admin_url: str) -> str | None:
    """Why PostgreSQL cannot be benchmarked, or None."""
    parts = urlsplit(admin_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        return f"{host}:{port} does not answer ({error.strerror or error})"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[dev,bench]')"
    return None


def bench_postgres(admin_url: str, settings: Settings) -> dict[str, Any]:
    """One database for the run (created, seeded, dropped), shared by the apps: the users the mixed run
    registers get ids above the seeded ones, which the measured reads never touch."""
    with seed.seeded_postgres(admin_url) as url:
        rest = url.split("://", 1)[1]
        urls = {app: f"{SCHEMES['postgresql'][app]}://{rest}" for app in settings.apps}
        result = bench_database("postgresql", urls, settings)
        result["server_version"] = seed.postgres_version(url)
        if "ours" in settings.apps:
            result["workers"] = bench_workers(urls["ours"], settings)
            result["scale_out"] = scale_out.bench(url, lambda bases, path: measure(bases, path, settings))
            result["abuse"] = bench_abuse("postgresql", lambda _name: urls["ours"], settings)
    if "ours" in settings.apps:
        result["writes"] = writes.bench("postgresql", settings, admin_url)
    return result


def _guarded(bench: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A database whose set-up fails (migration, server start) is reported, and the run goes on."""
    try:
        return bench()
    except RuntimeError as error:
        print(f"  failed: {error}", file=sys.stderr, flush=True)
        return {"failed": str(error)}


def _exit_on_sigterm(signum: int, _frame: object) -> NoReturn:
    raise SystemExit(128 + signum)  # unwinds through every `finally`: servers stopped, database dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per endpoint and app")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per endpoint and app")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rate", type=float, default=1.0, help="registrations per second in the mixed run")
    parser.add_argument("--flood-clients", type=int, default=50, help="concurrent logins in the flood")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--out", type=Path, default=HERE, help="where RESULTS.md and results.json go")
    parser.add_argument(
        "--before",
        default=BEFORE,
        help=f"git ref of the earlier app to compare with, served from a worktree of it (default {BEFORE});"
        " empty to leave it out",
    )
    parser.add_argument("--apps", default=",".join(APPS), help="which apps to serve (default: all)")
    args = parser.parse_args(argv)
    if not wrk_available():
        print("error: wrk is not installed; install it with `apt-get install wrk`", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    apps = tuple(app for app in args.apps.split(",") if app in APPS and (app != "before" or args.before))
    with contextlib.ExitStack() as stack:
        before_dir = stack.enter_context(worktree(args.before)) if "before" in apps else None
        settings = Settings(
            args.warmup,
            args.duration,
            args.runs,
            args.connections,
            args.threads,
            args.rate,
            args.flood_clients,
            apps,
            before_dir,
        )
        return _run(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    started = time.monotonic()
    databases: dict[str, Any] = {}
    wanted = args.databases.split(",")
    if "sqlite" in wanted:
        print("SQLite", flush=True)
        databases["sqlite"] = _guarded(lambda: bench_sqlite(settings))
    if "postgresql" in wanted:
        if reason := postgres_unavailable(args.postgres_url):
            print(f"PostgreSQL skipped: {reason}", flush=True)
            databases["postgresql"] = {"skipped": reason}
        else:
            print("PostgreSQL", flush=True)
            databases["postgresql"] = _guarded(lambda: bench_postgres(args.postgres_url, settings))
    results = {
        "date": report.now(),
        "elapsed_s": round(time.monotonic() - started, 1),
        "machine": report.machine(),
        "settings": {
            **asdict(settings),
            "before_dir": None,
            "before": args.before if "before" in settings.apps else None,
            "app": app_target(),
            "uvicorn": ["1 worker", *uvicorn_options()],
        },
        "targets": report.TARGETS,
        "databases": databases,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = report.write(results, args.out)  # RESULTS.md and its chart
    print("\n" + markdown)
    print(f"written: {args.out / 'RESULTS.md'}, {args.out / report.CHART_NAME}, {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
