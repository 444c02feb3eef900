"""Where the machine's CPU goes per request: our app served by `users-posts serve --workers N` on
PostgreSQL, `GET /users/{id}` under `wrk -t2 -c16`, and the CPU time per request of the app's processes,
of PostgreSQL's and of wrk, from /proc and the wrk process's rusage. It says why 2 workers scale as they
do on a machine whose cores also run the database and the load generator.

    python -m benchmarks.cpu_split --workers 1 --workers 2 --runs 2
"""

import argparse
import os
import resource
import subprocess
from pathlib import Path

from benchmarks import seed
from benchmarks.harness import HERE, OURS_ENV, app_target, serve, wrk_available

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _processes(*names: str) -> list[int]:
    """The pids whose command line contains one of `names`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(name in command for name in names):
                found.append(int(entry.name))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS_PER_S


def _wrk(base_url: str, seconds: int) -> tuple[float, float]:
    """req/s, and wrk's own CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        "wrk",
        "-t2",
        "-c16",
        f"-d{seconds}s",
        "-s",
        str(HERE / "wrk.lua"),
        base_url,
        "--",
        "/users/{id}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rate = float(next(line for line in out.splitlines() if "Requests/sec" in line).split()[1])
    return rate, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(url: str, workers: int, seconds: int) -> str:
    env = {**OURS_ENV, "APP_DATABASE_URL": seed.asyncpg_url(url)}
    with serve(app_target(), env, HERE / "results" / f"cpu-split-{workers}.log", workers=workers) as base:
        _wrk(base, 2)  # warm-up: every worker's pool filled
        # The server and its workers (uvicorn starts them with multiprocessing), and PostgreSQL's backends.
        app, database = _processes("users-posts serve", "multiprocessing"), _processes("postgres:")
        app_before, database_before = _cpu_seconds(app), _cpu_seconds(database)
        rate, wrk_cpu = _wrk(base, seconds)
        requests = rate * seconds
        app_us = (_cpu_seconds(app) - app_before) / requests * 1e6
        database_us = (_cpu_seconds(database) - database_before) / requests * 1e6
    return (
        f"workers {workers}: {rate:,.0f} req/s; CPU per request: app {app_us:.0f} µs, "
        f"PostgreSQL {database_us:.0f} µs, wrk {wrk_cpu / requests * 1e6:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if not wrk_available():
        raise SystemExit("wrk is needed: apt-get install wrk")
    with seed.seeded_postgres(args.postgres_url) as url:
        for _ in range(args.runs):
            for workers in args.workers or [1, 2]:  # interleaved: 1, 2, 1, 2…
                print(measure(url, workers, args.seconds), flush=True)


if __name__ == "__main__":
    main()
