"""Scale-out on PostgreSQL's own tools (issue 19), our app only, interleaved runs in one process:

- `GET /users/{id}` straight to PostgreSQL and through PgBouncer (transaction mode, deploy/pgbouncer.ini
  with the test overrides, 2 server connections), each with the statement caches on and off
  (APP_DB_PREPARED_STATEMENTS). Through PgBouncer with the caches on is expected to fail (non-2xx).
- `GET /users/{id}` and `GET /users/?limit=100` read from the primary against read from a streaming
  replica (a primary and a `pg_basebackup -R` replica made for the run, on this same machine: the
  ratio is the cost of routing, not the capacity a replica on its own server adds).

The PgBouncer and the replication pair are the ones the tests run (throwaway/pgbouncer.py,
throwaway/replicas.py).
Standalone, shortened: `python -m benchmarks.scale_out --duration 3 --runs 1`.
"""

import argparse
import contextlib
import re
import sys
from collections.abc import Callable
from typing import Any

import httpx

from benchmarks import seed
from benchmarks.harness import HERE, Settings, app_target, measure, serve
from throwaway.pgbouncer import PGBOUNCER, pgbouncer_in_front_of
from throwaway.replicas import SERVER_BIN, streaming_cluster

Measure = Callable[[dict[str, str], str], dict[str, dict[str, Any]]]
GET_USER = "/users/{id}"
LIST_USERS = "/users/?limit=100"
TIMES = "\u00d7"
QUIET = {"APP_LOG_LEVEL": "WARNING", "APP_DB_POOL_SIZE": "10"}


def _asyncpg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def _ratio(cells: dict[str, dict[str, Any]], top: str, bottom: str) -> float | None:
    a, b = cells.get(top, {}).get("requests_per_s"), cells.get(bottom, {}).get("requests_per_s")
    return a / b if a and b else None


def bench_pgbouncer(url: str, measure: Measure) -> dict[str, Any]:
    """`url`: a seeded database (plain postgresql://). Four servers of ours, measured interleaved."""
    if PGBOUNCER is None:
        return {"skipped": "pgbouncer is not installed (apt-get install pgbouncer)"}
    print("  postgresql: GET /users/{id}, direct vs PgBouncer, statement caches on vs off", flush=True)
    direct = _asyncpg(url)
    with pgbouncer_in_front_of(direct) as bouncer, contextlib.ExitStack() as stack:
        bases = {}
        for route, database_url in (("direct", direct), ("pgbouncer", bouncer.url(direct))):
            for caches in ("on", "off"):
                env = {**QUIET, "APP_DATABASE_URL": database_url}
                env["APP_DB_PREPARED_STATEMENTS"] = "true" if caches == "on" else "false"
                log = HERE / "results" / f"postgresql-{route}-caches-{caches}.log"
                bases[f"{route}, caches {caches}"] = stack.enter_context(
                    serve(app_target(), env, log, announces=False)
                )
        cells = measure(bases, GET_USER)
    return {
        "cells": cells,
        "caches_off_over_on_direct": _ratio(cells, "direct, caches off", "direct, caches on"),
        "pgbouncer_over_direct_caches_off": _ratio(cells, "pgbouncer, caches off", "direct, caches off"),
    }


def _replica_reads(base_url: str) -> float:
    """Read-only units of work the server ran on a replica, from its /metrics."""
    text = httpx.get(base_url + "/metrics", timeout=10).text
    found = re.findall(r'^db_reads_total\{target="(?!primary)[^"]*"\} (\S+)$', text, re.MULTILINE)
    return sum(float(value) for value in found)


def bench_replicas(measure: Measure) -> dict[str, Any]:
    """A streaming pair made for the run, seeded; ours without and with the replica."""
    if SERVER_BIN is None:
        return {"skipped": "PostgreSQL server binaries missing (apt-get install postgresql)"}
    print("  postgresql: reads from the primary vs from a streaming replica", flush=True)
    with streaming_cluster() as cluster, contextlib.ExitStack() as stack:
        seed.seed_postgres(cluster.primary_url.replace("+asyncpg", ""))
        cluster.wait_for_replay()
        bases = {}
        for target in ("primary", "replica"):
            env = {**QUIET, "APP_DATABASE_URL": cluster.primary_url}
            if target == "replica":
                env["APP_DATABASE_REPLICA_URLS"] = cluster.replica_url
            log = HERE / "results" / f"postgresql-reads-{target}.log"
            bases[target] = stack.enter_context(serve(app_target(), env, log, announces=False))
        results: dict[str, Any] = {}
        for path in (GET_USER, LIST_USERS):
            cells = measure(bases, path)
            results[path] = {"cells": cells, "replica_over_primary": _ratio(cells, "replica", "primary")}
        results["replica_reads"] = _replica_reads(bases["replica"])
    return results


def bench(url: str, measure: Measure) -> dict[str, Any]:
    result: dict[str, Any] = {}
    try:
        result["pgbouncer"] = bench_pgbouncer(url, measure)
    except RuntimeError as error:
        result["pgbouncer"] = {"failed": str(error)}
    try:
        result["replicas"] = bench_replicas(measure)
    except RuntimeError as error:
        result["replicas"] = {"failed": str(error)}
    return result


def _cell(cell: dict[str, Any]) -> str:
    if "requests_per_s" not in cell:
        return f"{cell.get('error', 'n/a')} | | "
    return f"{cell['requests_per_s']:.0f} | {cell['p50_ms']:.1f} | {cell['p99_ms']:.1f}"


def _x(value: float | None) -> str:
    return f"**{value:.2f}{TIMES}**" if value else "n/a"


def rows(result: dict[str, Any]) -> list[str]:
    """The markdown of the scale-out section."""
    lines: list[str] = []
    bouncer = result.get("pgbouncer", {})
    lines += ["`GET /users/{id}`, 1 worker, straight to PostgreSQL or through PgBouncer (transaction mode):"]
    lines += [""]
    if "cells" in bouncer:
        lines += ["| route, statement caches | req/s | p50 ms | p99 ms |", "|---|--:|--:|--:|"]
        lines += [f"| {key} | {_cell(cell)} |" for key, cell in bouncer["cells"].items()]
        lines += [
            "",
            f"Caches off / on, direct: {_x(bouncer.get('caches_off_over_on_direct'))}; through PgBouncer /"
            f" direct, caches off: {_x(bouncer.get('pgbouncer_over_direct_caches_off'))}.",
        ]
    else:
        lines.append(f"Not measured: {bouncer.get('skipped') or bouncer.get('failed')}")
    replicas = result.get("replicas", {})
    lines += ["", "Reads from the primary against reads from a streaming replica (same machine):", ""]
    if "skipped" in replicas or "failed" in replicas:
        lines.append(f"Not measured: {replicas.get('skipped') or replicas.get('failed')}")
        return lines
    lines += ["| endpoint, reads from | req/s | p50 ms | p99 ms |", "|---|--:|--:|--:|"]
    for path in (GET_USER, LIST_USERS):
        for target, cell in replicas[path]["cells"].items():
            lines.append(f"| `GET {path}`, {target} | {_cell(cell)} |")
    lines += [
        "",
        "Replica / primary: "
        + ", ".join(f"`GET {p}` {_x(replicas[p]['replica_over_primary'])}" for p in (GET_USER, LIST_USERS))
        + f"; units of work the replica served: {replicas.get('replica_reads', 0):.0f}.",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The scale-out section of make bench, alone.")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    settings = Settings(args.warmup, args.duration, args.runs, args.connections, 2, 1.0, 0)
    with seed.seeded_postgres(args.postgres_url) as url:
        result = bench(url, lambda bases, path: measure(bases, path, settings))
    print("\n".join(rows(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
