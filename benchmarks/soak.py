"""Memory over a soak: our app served as in production (`users-posts serve`, JSON access events, metrics)
on a seeded database, under `wrk` for minutes on end, its resident memory sampled between rounds.

Reads only (a user, a page of users, a user's posts, a post, and a 304), so that the figure is the
process's own: a leak per request shows as a slope, a flat line after warm-up is what is wanted.

    python -m benchmarks.soak --database postgresql --minutes 10
"""

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

from benchmarks.ab import add_database_options, seeded_database, server_pids
from benchmarks.harness import HERE, OURS_ENV, app_target, serve, wrk

PATHS = ["/users/{id}", "/users/?limit=100", "/users/{id}/posts?limit=100", "/posts/{id}"]


def resident_mib(pids: list[int]) -> float:
    """The resident memory of these processes together, from /proc (MiB)."""
    total_kib = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            status = Path(f"/proc/{pid}/status").read_text()
            total_kib += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
            )
    return total_kib / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_database_options(parser)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--round-seconds", type=float, default=10.0, help="wrk run between samples")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(seeded_database(args))("soak")
        env = {**OURS_ENV, "APP_DATABASE_URL": database_url}
        base = stack.enter_context(serve(app_target(), env, HERE / "results" / "soak.log", workers=1))
        pids = server_pids(base)
        samples: list[tuple[float, float, int]] = []  # (minutes, MiB, requests so far)
        started, requests, round_no = time.monotonic(), 0, 0
        while (elapsed := time.monotonic() - started) < args.minutes * 60:
            path = PATHS[round_no % len(PATHS)]
            run = wrk(base, path, args.round_seconds, args.connections, 2, if_none_match=round_no % 5 == 4)
            if run.error:
                raise SystemExit(f"{path}: {run.error}")
            requests += run.requests
            round_no += 1
            samples.append((elapsed / 60, resident_mib(pids), requests))
            print(f"{elapsed / 60:5.1f} min  {samples[-1][1]:7.1f} MiB  {requests:>9} requests", flush=True)
    warm = [mib for minutes, mib, _ in samples if minutes >= 1.0] or [samples[-1][1]]
    third = max(len(warm) // 3, 1)
    early, late = statistics.median(warm[:third]), statistics.median(warm[-third:])
    print(
        f"\n{args.database}: {requests} requests in {args.minutes:g} min; resident memory after the first "
        f"minute: first third {early:.1f} MiB, last third {late:.1f} MiB ({late - early:+.1f} MiB), "
        f"max {max(warm):.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
