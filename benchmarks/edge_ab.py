"""A/B of our app at a git ref (A, served from a worktree of it) against the working tree (B), as
production serves it: `users-posts serve`, 1 worker, JSON access events, metrics, a Host guard.

    python -m benchmarks.edge_ab --against main --database sqlite --database postgresql

Per database and path: a warm-up of each, then `--runs` rounds of one short wrk run per app, the order
alternating (AB, BA, …) so that the machine's drift hits both alike. Reported per app: the medians of
req/s, p50 and p99, and of the server's CPU time per request (utime + stime of its process over the run,
divided by the requests answered), which a busy shared machine disturbs far less than req/s; then
B / A as the ratio of the medians and the spread (min … max) of the per-round ratios, the noise."""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import seed
from benchmarks.abuse import RAISED_LIMITS
from benchmarks.harness import HERE, OURS_ENV, app_target, serve, worktree, wrk
from throwaway.processes import ROOT

PATHS = ("/users/{id}",)
PRODUCTION_ENV = {**OURS_ENV, **RAISED_LIMITS, "APP_ALLOWED_HOSTS": "127.0.0.1,localhost"}
TICKS_PER_S = 100  # os.sysconf("SC_CLK_TCK") on Linux


@dataclass(frozen=True, slots=True)
class Sample:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float


def server_pid(base_url: str) -> int:
    """The pid of the server listening on `base_url`'s port (started with `--port N`)."""
    port = str(urlsplit(base_url).port).encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            args = cmdline.read_bytes().split(b"\0")
            if b"serve" in args and b"--port" in args and args[args.index(b"--port") + 1] == port:
                return int(cmdline.parent.name)
    raise RuntimeError(f"no server process for {base_url}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S  # utime, stime


def sample(base_url: str, pid: int, path: str, seconds: float) -> Sample:
    before = cpu_seconds(pid)
    run = wrk(base_url, path, seconds, connections=16, threads=2)
    used = cpu_seconds(pid) - before
    if run.error:
        raise RuntimeError(f"{base_url}{path}: {run.error}")
    return Sample(run.requests_per_s, run.p50_ms, run.p99_ms, used / run.requests * 1e6)


@contextlib.contextmanager
def databases(kind: str, apps: tuple[str, ...], admin_url: str) -> Iterator[dict[str, str]]:
    """APP_DATABASE_URL per app: a copy of one seeded SQLite file each, or one seeded PostgreSQL
    database for both (reads only), dropped at the end."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="edge-ab-") as directory:
            seeded = Path(directory) / "seed.db"
            seed.seed_sqlite(seeded)
            urls = {}
            for app in apps:
                copy = Path(directory) / f"{app}.db"
                copy.write_bytes(seeded.read_bytes())
                urls[app] = f"sqlite:///{copy}"
            yield urls
        return
    with seed.seeded_postgres(admin_url) as plain:
        yield dict.fromkeys(apps, seed.asyncpg_url(plain))


def in_process(kind: str, trees: dict[str, Path], args: argparse.Namespace) -> None:
    """The app's CPU time per request through its ASGI interface (benchmarks/edge_asgi_child.py), a
    fresh process per run, the trees alternating."""
    apps = tuple(trees)
    child = HERE / "edge_asgi_child.py"
    caller = ["bearer" if args.bearer else "anonymous", *([args.post] if args.post else [])]
    # Instructions rather than CPU time: the same for the same code and input, however busy the machine.
    counter = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null"]
    with databases(kind, apps, args.postgres_admin_url) as urls:
        for path in args.path:
            costs: dict[str, list[float]] = {app: [] for app in apps}
            for n in range(args.runs):
                for app in apps if n % 2 == 0 else apps[::-1]:
                    env = {**os.environ, **PRODUCTION_ENV, "APP_DATABASE_URL": urls[app]}
                    env |= {"PYTHONPATH": str(trees[app]), "APP_ENV": "test", **args.env[app]}
                    env |= {"EDGE_ASGI_CALLGRIND": "1"} if args.instructions else {}
                    env |= {"EDGE_ASGI_DRAIN": "1"} if args.drain_events else {}
                    done = subprocess.run(
                        [
                            *(counter if args.instructions else []),
                            sys.executable,
                            str(child),
                            path,
                            str(args.requests),
                            "16",
                            *caller,
                        ],
                        cwd=trees[app],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                        timeout=600,
                        check=False,
                    )
                    costs[app].append(_per_request(done.stderr, args.requests, args.instructions, app))
            a, b = (statistics.median(costs[app]) for app in apps)
            rounds = sorted(y / x for x, y in zip(costs["A"], costs["B"], strict=True))
            request = f"{'POST' if args.post else 'GET'} {path}{' (bearer)' if args.bearer else ''}"
            print(f"\n{kind} {request}, in process ({args.runs} runs of {args.requests} requests)")
            unit = "instructions/request" if args.instructions else "CPU µs/request"
            print(
                f"  {unit}: A {a:.1f}, B {b:.1f}; B/A {b / a:.3f}"
                f" (per round {rounds[0]:.3f} … {rounds[-1]:.3f})"
            )


def _per_request(stderr: str, requests: int, instructions: bool, app: str) -> float:
    """The child's CPU µs per request, or with `instructions` valgrind's count of the measured ones."""
    for line in stderr.splitlines():
        if instructions and "Collected :" in line:
            return int(line.rsplit(":", 1)[1].replace(",", "")) / requests
        if not instructions and line.startswith("EDGE_ASGI "):
            return float(line.split()[1])
    raise RuntimeError(f"{app}: {stderr[-2000:]}")


def compare(kind: str, trees: dict[str, Path], args: argparse.Namespace) -> None:
    apps = tuple(trees)
    with databases(kind, apps, args.postgres_admin_url) as urls, contextlib.ExitStack() as stack:
        bases, pids = {}, {}
        for app, tree in trees.items():
            env = {**PRODUCTION_ENV, "APP_DATABASE_URL": urls[app]}
            log = HERE / "results" / f"edge-ab-{kind}-{app}.log"
            bases[app] = stack.enter_context(serve(app_target(tree), env, log, workers=1, cwd=tree))
            pids[app] = server_pid(bases[app])
        for path in args.path:
            for app in apps:
                sample(bases[app], pids[app], path, args.warmup)
            samples: dict[str, list[Sample]] = {app: [] for app in apps}
            for n in range(args.runs):
                for app in apps if n % 2 == 0 else apps[::-1]:
                    samples[app].append(sample(bases[app], pids[app], path, args.seconds))
            report(kind, path, samples)


def report(kind: str, path: str, samples: dict[str, list[Sample]]) -> None:
    a, b = samples["A"], samples["B"]
    print(f"\n{kind} GET {path} ({len(a)} rounds)")
    print(f"  {'':3} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU µs/req':>11}")
    for app, runs in samples.items():
        med = {m: statistics.median(getattr(s, m) for s in runs) for m in Sample.__slots__}
        print(
            f"  {app:3} {med['requests_per_s']:8.0f} {med['p50_ms']:7.2f} {med['p99_ms']:7.2f}"
            f" {med['cpu_us_per_request']:11.1f}"
        )
    for metric, label in (("requests_per_s", "req/s"), ("cpu_us_per_request", "CPU/req")):
        ratio = statistics.median(getattr(s, metric) for s in b) / statistics.median(
            getattr(s, metric) for s in a
        )
        rounds = sorted(getattr(y, metric) / getattr(x, metric) for x, y in zip(a, b, strict=True))
        print(f"  B/A {label:8} {ratio:.3f} (per round {rounds[0]:.3f} … {rounds[-1]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--against", default="main", help="git ref of A (default: main)")
    parser.add_argument("--database", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--path", action="append", help=f"path(s) to load (default: {PATHS[0]})")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--in-process", action="store_true", help="the app's ASGI interface, no server")
    parser.add_argument("--requests", type=int, default=5000, help="per in-process run")
    parser.add_argument("--bearer", action="store_true", help="in process: as seeded user 1, bearer token")
    parser.add_argument("--post", help="in process: POST this JSON body to the path (201 expected)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="in process: count the instructions per request under callgrind (valgrind), not CPU time",
    )
    parser.add_argument(
        "--drain-events",
        action="store_true",
        help="in process: count until the events the requests wrote are published (with APP_EVENTS_URL)",
    )
    for app in ("a", "b"):
        parser.add_argument(
            f"--env-{app}",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=f"in process: an environment variable of {app.upper()}'s runs",
        )
    parser.add_argument("--postgres-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    args.env = {app: dict(v.split("=", 1) for v in getattr(args, f"env_{app.lower()}")) for app in "AB"}
    args.path = args.path or list(PATHS)
    revision = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.against],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    print(f"A = {args.against} ({revision}), B = the working tree {ROOT}")
    with worktree(args.against) as before:
        for kind in args.database or ["sqlite"]:
            (in_process if args.in_process else compare)(kind, {"A": before, "B": ROOT}, args)


if __name__ == "__main__":
    main()
