"""Reads and the create at scale: our app on a large PostgreSQL database against a small one, in one run.

Two throwaway databases beside `--postgres-url`'s, migrated by our `alembic upgrade head` and filled
with SQL (`generate_series`, not through the API): a small one (1 000 users, 10 000 posts) and a large
one (`--users`, `--posts`: 1 000 000 and 10 000 000 by default, ~7 GB, a few minutes to build). Our app
(uvicorn, 1 worker, as `make bench` serves it) serves each; every read, and `POST /posts/`, is
measured on both with the runs interleaved, over ids spread across each whole database. Printed: req/s,
p50, p99, the server's CPU per request and large / small per operation (target: within 10 %), then
the query plans of the hot statements on the large database (EXPLAIN ANALYZE, BUFFERS). Both
databases are dropped at the end.

    python -m benchmarks.scale                                  # the full scale
    python -m benchmarks.scale --users 100000 --posts 1000000   # smaller, quicker
"""

import argparse
import contextlib
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from benchmarks import report as results_report
from benchmarks import seed
from benchmarks.ab import cpu_seconds, server_pids
from benchmarks.abuse import RAISED_LIMITS
from benchmarks.harness import HERE, OURS_ENV, WRK_SCRIPT, WrkRun, app_target, serve, wrk, wrk_available
from benchmarks.sections import X

SMALL = (1_000, 10_000)
MAX_RATIO_GAP = 0.10
# Users and posts as benchmarks/seed.py makes them (the same hash, titles and contents), written by SQL.
FILL_USERS = """
INSERT INTO "user" (id, name, email, password_hash, created_at)
SELECT i, 'User ' || i, 'user' || i || '@example.com', %(hash)s,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, %(users)s::bigint) AS i
"""
FILL_POSTS = """
INSERT INTO post (id, title, content, author_id, created_at, updated_at)
SELECT j,
       left('Post ' || j || ' by user ' || ((j - 1) %% %(users)s + 1) || ': notes on an ordinary day', 50),
       left('Post ' || j || '. ' || %(lorem)s, 500), (j - 1) %% %(users)s + 1,
       timestamptz '2024-01-02 00:00:00+00' + j * interval '1 second',
       timestamptz '2024-01-02 01:00:00+00' + j * interval '1 second'
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS j
"""
POST_BATCH = 1_000_000  # rows per INSERT, each its own transaction: progress shows, WAL stays bounded


@dataclass(frozen=True, slots=True)
class Operation:
    label: str
    path: str  # "{id}" is a random id in 1..max_id (wrk.lua)
    ids: str  # "users" or "posts": which ids "{id}" ranges over
    after: str | None = None  # a list far down: "after" the id this far from the end


OPERATIONS = [
    Operation("GET /users/{id}", "/users/{id}", "users"),
    Operation("GET /users/{id}/posts?limit=100", "/users/{id}/posts?limit=100", "users"),
    Operation("GET /posts/{id}", "/posts/{id}", "posts"),
    Operation("GET /users/?limit=100 far down", "/users/?limit=100&after={after}", "users", "users"),
    Operation("GET /posts/?limit=100 far down", "/posts/?limit=100&after={after}", "posts", "posts"),
]
CREATE_BODY = '{"title": "A post written at scale", "content": "Some words, as a post would have them."}'


def report_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _url(admin_url: str, name: str) -> str:
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def fill(url: str, users: int, posts: int) -> float:
    """Migrate and fill the empty database `url` by SQL; the seconds it took."""
    import psycopg

    started = time.monotonic()
    seed.migrate(seed.asyncpg_url(url))
    with psycopg.connect(url, autocommit=True) as connection:
        # The foreign key's triggers off while loading (every author exists by construction).
        connection.execute("SET session_replication_role = replica")
        connection.execute(FILL_USERS, {"hash": seed.PASSWORD_HASH, "users": users})
        for first in range(1, posts + 1, POST_BATCH):
            last = min(first + POST_BATCH - 1, posts)
            values = {"users": users, "lorem": seed.LOREM, "first": first, "last": last}
            connection.execute(FILL_POSTS, values)
            print(f"    {last:,} / {posts:,} posts ({time.monotonic() - started:.0f} s)", flush=True)
        connection.execute("SET session_replication_role = DEFAULT")
        connection.execute("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), %s)", (users,))
        connection.execute("SELECT setval(pg_get_serial_sequence('post', 'id'), %s)", (posts,))
        connection.execute("VACUUM ANALYZE")
    return time.monotonic() - started


@contextlib.contextmanager
def database(admin_url: str, label: str) -> Iterator[str]:
    name = f"scale_{label}_{uuid.uuid4().hex[:8]}"
    seed.create_postgres_database(admin_url, name)
    try:
        yield _url(admin_url, name)
    finally:
        seed.drop_postgres_database(admin_url, name)


def _bearer(base_url: str) -> str:
    login = {"username": seed.email_of(1), "password": seed.PASSWORD}
    answer = httpx.post(base_url + "/auth/token", data=login, timeout=60)
    answer.raise_for_status()
    return f"Bearer {answer.json()['access_token']}"


def measure(
    bases: dict[str, str], sizes: dict[str, tuple[int, int]], args: argparse.Namespace
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every operation on every database, runs interleaved: {operation: {database: cell}}."""
    results: dict[str, dict[str, dict[str, Any]]] = {}
    bearers = {name: _bearer(base) for name, base in bases.items()}
    pids = {name: server_pids(base) for name, base in bases.items()}
    for operation in [*OPERATIONS, None]:
        label = operation.label if operation else "POST /posts/"
        print(f"  {label}", flush=True)

        def one(name: str, seconds: float, operation: Operation | None = operation) -> WrkRun:
            load = (seconds, args.connections, args.threads)
            if operation is None:
                request = {"WRK_METHOD": "POST", "WRK_BODY": CREATE_BODY, "WRK_AUTHORIZATION": bearers[name]}
                return wrk(bases[name], "/posts/", *load, request=request)
            users, posts = sizes[name]
            max_id = users if operation.ids == "users" else posts
            path = (
                operation.path.replace("{after}", str(max_id - 1_000)) if operation.after else operation.path
            )
            return wrk(bases[name], "", *load, script=(WRK_SCRIPT, [path, str(max_id)]))

        runs: dict[str, list[WrkRun]] = {name: [] for name in bases}
        cpu: dict[str, list[float]] = {name: [] for name in bases}
        for name in bases:
            one(name, args.warmup)
        for n in range(args.runs):
            for name in bases if n % 2 == 0 else list(reversed(bases)):
                used = cpu_seconds(pids[name])
                runs[name].append(one(name, args.duration))
                run = runs[name][-1]
                cpu[name].append(1e6 * (cpu_seconds(pids[name]) - used) / max(run.requests, 1))
                print(
                    f"    {name:<6} run {n + 1}/{args.runs}: {run.requests_per_s:7.0f} req/s, p50"
                    f" {run.p50_ms:5.1f} ms, p99 {run.p99_ms:6.1f} ms, CPU {cpu[name][-1]:5.0f} us/req"
                    f" {run.error or ''}",
                    flush=True,
                )
        results[label] = {name: _cell(runs[name], cpu[name]) for name in runs}
    return results


def _cell(runs: list[WrkRun], cpu: list[float]) -> dict[str, Any]:
    errors = [run.error for run in runs if run.error]
    if errors:
        return {"error": errors[0]}
    return {
        "requests_per_s": statistics.median(run.requests_per_s for run in runs),
        "p50_ms": statistics.median(run.p50_ms for run in runs),
        "p99_ms": statistics.median(run.p99_ms for run in runs),
        "range": (min(run.requests_per_s for run in runs), max(run.requests_per_s for run in runs)),
        "cpu_us": statistics.median(cpu),
    }


def plans(url: str, users: int, posts: int) -> list[tuple[str, str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the hot statements, as the app's repositories write them."""
    import psycopg
    from sqlalchemy.dialects import postgresql

    from infrastructure.sql import repositories as sql

    middle_user, middle_post = users // 2, posts // 2
    statements = {
        "a user's profile by id": sql._PROFILE_BY_ID.params(id=middle_user),
        "the session check (a user in a session)": sql._USER_IN_SESSION.params(
            user_id=middle_user, session_id="x"
        ),
        "a user's posts, first page": sql._AUTHOR_POSTS_PAGE.params(
            author_id=middle_user, after=0, limit=101
        ),
        "a post with its author": sql._POST_WITH_AUTHOR.params(id=middle_post),
        "a page of users far down": sql._PROFILES_PAGE.params(after=users - 1_000, limit=101),
        "a page of posts far down": sql._POSTS_PAGE.params(after=posts - 1_000, limit=101),
    }
    found = []
    with psycopg.connect(url) as connection:
        for label, statement in statements.items():
            dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
            compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            rows = connection.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {compiled}").fetchall()
            found.append((label, "\n".join(row[0] for row in rows)))
    return found


def report(results: dict[str, dict[str, dict[str, Any]]], sizes: dict[str, tuple[int, int]]) -> list[str]:
    (small, large) = sizes
    lines = [
        f"| operation | small ({sizes[small][0]:,} users, {sizes[small][1]:,} posts) req/s, p50 / p99 ms"
        f" | large ({sizes[large][0]:,} users, {sizes[large][1]:,} posts) | large / small req/s"
        " | large / small server CPU per request |",
        "|---|--:|--:|--:|--:|",
    ]
    for label, cells in results.items():
        a, b = cells[small], cells[large]
        if "error" in a or "error" in b:
            lines.append(f"| {label} | {a.get('error', '')} | {b.get('error', '')} | | |")
            continue
        ratio = b["requests_per_s"] / a["requests_per_s"]
        verdict = "✓" if abs(ratio - 1) <= MAX_RATIO_GAP else "✗"
        lines.append(
            f"| {label} | {a['requests_per_s']:,.0f} ({a['range'][0]:,.0f}..{a['range'][1]:,.0f}),"
            f" {a['p50_ms']:.1f} / {a['p99_ms']:.1f} | {b['requests_per_s']:,.0f}"
            f" ({b['range'][0]:,.0f}..{b['range'][1]:,.0f}), {b['p50_ms']:.1f} / {b['p99_ms']:.1f}"
            f" | **{ratio:.2f}{X}** {verdict} (±{MAX_RATIO_GAP:.0%})"
            f" | {b['cpu_us'] / a['cpu_us']:.2f}{X} ({a['cpu_us']:,.0f} / {b['cpu_us']:,.0f} µs) |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=10_000_000)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--record", action="store_true", help="put the run into benchmarks/results.json and RESULTS.md"
    )
    args = parser.parse_args(argv)
    if not wrk_available():
        print("error: wrk is not installed; install it with `apt-get install wrk`", file=sys.stderr)
        return 2
    sizes = {"small": SMALL, "large": (args.users, args.posts)}
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(database(args.postgres_url, name)) for name in sizes}
        filled = []
        for name, (users, posts) in sizes.items():
            print(f"filling the {name} database: {users:,} users, {posts:,} posts", flush=True)
            filled.append(fill(urls[name], users, posts))
            print(f"  filled in {filled[-1]:.0f} s", flush=True)
        bases = {}
        for name, url in urls.items():
            env = {**OURS_ENV, **RAISED_LIMITS, "APP_DATABASE_URL": seed.asyncpg_url(url)}
            bases[name] = stack.enter_context(
                serve(app_target(), env, HERE / "results" / f"scale-{name}.log")
            )
        results = measure(bases, sizes, args)
        table = report(results, sizes)
        print("\n" + "\n".join(table) + "\n")
        found = plans(urls["large"], args.users, args.posts)
        for label, plan in found:
            print(f"{label}:\n{plan}\n")
    if args.record:
        record(
            {
                "date": report_now(),
                "command": " ".join(["python -m benchmarks.scale", *(argv or sys.argv[1:])]),
                "filled_s": filled,
                "table": table,
                "plans": found,
            }
        )
    return 0


def record(run: dict[str, Any]) -> None:
    """Put this run into the recorded `make bench` run (results.json) and render RESULTS.md again."""
    results_report.record(lambda recorded: recorded.update(scale=run))


if __name__ == "__main__":
    sys.exit(main())
