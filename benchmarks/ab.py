"""A/B of our app on one endpoint: variants served side by side, wrk runs interleaved, medians.

For one change at a time, between two `make bench` runs (17 min): each variant is our app with its own
environment, served from this tree or from a git worktree of a ref, by uvicorn like `make bench` or by
`users-posts serve` (the production server). The spread (min..max over the runs) is printed with the
medians: on a shared machine, a difference inside it is noise. The server's CPU time per request
(user + system, its workers included, from /proc) is printed too: other load moves it far less than
it moves req/s.

    python -m benchmarks.ab --database postgresql --path '/users/{id}' \\
        A=ref:HEAD~1 B=env:APP_DB_POOL_SIZE=20 C=serve,env:APP_DB_POOL_PRE_PING=false

With `--bearer`, every request carries a bearer token of a seeded user (logged in on each variant
first); with `--post JSON`, the path is POSTed that body (`--path /posts/ --post '{"title": …}'`).
"""

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from benchmarks import seed
from benchmarks.harness import HERE, OURS_ENV, WrkRun, app_target, serve, worktree, wrk
from throwaway.processes import ROOT


@dataclass
class Variant:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    ref: str | None = None  # a git ref served from a worktree; None: this tree
    workers: int | None = None  # set: `users-posts serve --workers N`, else uvicorn as `make bench`


def parse_variant(spec: str) -> Variant:
    """`NAME=part,part…` where a part is `ref:REF`, `serve` / `serve:N` or `env:KEY=VALUE`."""
    name, _, rest = spec.partition("=")
    variant = Variant(name)
    for part in filter(None, rest.split(",")):
        kind, _, value = part.partition(":")
        if kind == "ref":
            variant.ref = value
        elif kind == "serve":
            variant.workers = int(value or 1)
        elif kind == "env":
            key, _, val = value.partition("=")
            variant.env[key] = val
        else:
            raise SystemExit(f"unknown part {part!r} in {spec!r}")
    return variant


def server_pids(base_url: str) -> list[int]:
    """The process serving `base_url` (started with --port) and its descendants (workers)."""
    port = str(urlsplit(base_url).port).encode()
    parents: dict[int, int] = {}
    root = None
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(stat.parent.name)
            parents[pid] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            args = (stat.parent / "cmdline").read_bytes().split(b"\0")
            if b"--port" in args and args[args.index(b"--port") + 1] == port and b"wrk" not in args[0]:
                root = pid if root is None or parents.get(pid) != root else root
    if root is None:
        return []
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sorted(tree)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _line(name: str, runs: list[WrkRun], cpu_us: list[float]) -> str:
    rps = [run.requests_per_s for run in runs]
    p50 = [run.p50_ms for run in runs]
    p99 = [run.p99_ms for run in runs]
    errors = {run.error for run in runs if run.error}
    return (
        f"{name:<10} req/s {statistics.median(rps):7.0f} ({min(rps):.0f}..{max(rps):.0f})"
        f"  p50 {statistics.median(p50):5.1f} ms  p99 {statistics.median(p99):6.1f} ms"
        f" ({min(p99):.1f}..{max(p99):.1f})  p99/p50 {statistics.median(p99) / statistics.median(p50):.1f}"
        + f"  server CPU {statistics.median(cpu_us):4.0f} us/req ({min(cpu_us):.0f}..{max(cpu_us):.0f})"
        + (f"  ERRORS {errors}" if errors else "")
    )


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """--database, the kind of seeded database served, and --postgres-url, the server a PostgreSQL one
    is made on."""
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def seeded_database(args: argparse.Namespace) -> Iterator[Callable[[str], str]]:
    """The seeded database the options ask for, for the block, as the app's database URL for each
    server (by name): on SQLite a copy of the seeded file of its own, on PostgreSQL the one database."""
    with contextlib.ExitStack() as stack:
        if args.database == "postgresql":
            url = seed.asyncpg_url(stack.enter_context(seed.seeded_postgres(args.postgres_url)))
            yield lambda _server: url
            return
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        seeded = directory / "seed.db"
        seed.seed_sqlite(seeded)

        def copy_for(server: str) -> str:
            copy = directory / f"{server}.db"
            shutil.copyfile(seeded, copy)
            return f"sqlite:///{copy}"

        yield copy_for


def request_of(args: argparse.Namespace, base_url: str) -> dict[str, str]:
    """How wrk sends the requests to `base_url` (wrk.lua's variables): POSTed, with a bearer token."""
    request = {"WRK_METHOD": "POST", "WRK_BODY": args.post} if args.post else {}
    if args.bearer:
        login = {"username": seed.email_of(1), "password": seed.PASSWORD}
        answer = httpx.post(base_url + "/auth/token", data=login, timeout=30)
        answer.raise_for_status()
        request["WRK_AUTHORIZATION"] = f"Bearer {answer.json()['access_token']}"
    return request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("variants", nargs="+", type=parse_variant)
    add_database_options(parser)
    parser.add_argument("--path", default="/users/{id}")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bearer", action="store_true", help="as a seeded user, by a bearer token")
    parser.add_argument("--post", type=json.loads, help="POST this JSON body to the path")
    args = parser.parse_args(argv)
    if args.post is not None:
        args.post = json.dumps(args.post)
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(seeded_database(args))
        trees = {ref: stack.enter_context(worktree(ref)) for ref in {v.ref for v in args.variants if v.ref}}
        bases = {}
        for variant in args.variants:
            env = {**OURS_ENV, "APP_DATABASE_URL": database_url(variant.name), **variant.env}
            log = HERE / "results" / f"ab-{variant.name}.log"
            cwd = trees[variant.ref] if variant.ref else ROOT
            bases[variant.name] = stack.enter_context(
                serve(
                    app_target(cwd),
                    env,
                    log,
                    workers=variant.workers,
                    cwd=cwd,
                    announces=env.get("APP_LOG_LEVEL", "INFO") in ("DEBUG", "INFO"),  # else it logs nothing
                )
            )
        runs: dict[str, list[WrkRun]] = {name: [] for name in bases}
        cpu: dict[str, list[float]] = {name: [] for name in bases}
        pids = {name: server_pids(base) for name, base in bases.items()}
        requests = {name: request_of(args, base) for name, base in bases.items()}
        for name, base in bases.items():
            wrk(base, args.path, args.warmup, args.connections, args.threads, request=requests[name])
        for n in range(args.runs):
            order = list(bases) if n % 2 == 0 else list(reversed(bases))  # no variant always runs first
            for name in order:
                used = cpu_seconds(pids[name])
                runs[name].append(
                    wrk(
                        bases[name],
                        args.path,
                        args.duration,
                        args.connections,
                        args.threads,
                        request=requests[name],
                    )
                )
                used = cpu_seconds(pids[name]) - used
                cpu[name].append(1e6 * used / max(runs[name][-1].requests, 1))
            print(
                f"run {n + 1}/{args.runs}: "
                + "  ".join(f"{k} {v[-1].requests_per_s:.0f}" for k, v in runs.items()),
                flush=True,
            )
        load = f"wrk -t{args.threads} -c{args.connections}, {args.runs} x {args.duration:g} s"
        print(f"\n{args.database} {args.path}, {load}")
        for name, variant_runs in runs.items():
            print(_line(name, variant_runs, cpu[name]))
        (first_name, first_runs), *others = runs.items()
        first = statistics.median(r.requests_per_s for r in first_runs)
        for name, variant_runs in others:
            ratio = statistics.median(r.requests_per_s for r in variant_runs) / first
            cpu_ratio = statistics.median(cpu[name]) / statistics.median(cpu[first_name])
            print(f"{name} / {first_name}: req/s {ratio:.3f}x, server CPU per request {cpu_ratio:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
