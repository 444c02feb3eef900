"""What durability costs a commit: SQLite's `synchronous` (NORMAL against FULL, WAL mode, as the app
opens it) and PostgreSQL's `synchronous_commit` (off against on), one single-row INSERT per
transaction, the modes interleaved round by round; medians of the wall time per commit.

    python -m benchmarks.durability --commits 500 --rounds 5

What a served create pays is measured by `python -m benchmarks.ab --database sqlite --path /posts/
--bearer --post '{…}' A=env:APP_SQLITE_SYNCHRONOUS=normal B=env:APP_SQLITE_SYNCHRONOUS=full`."""

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import seed

CREATE = "CREATE TABLE IF NOT EXISTS durability (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
BODY = "x" * 500  # about a post's size


def sqlite_commits(path: Path, synchronous: str) -> Callable[[int], float]:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute(CREATE)

    def run(commits: int) -> float:
        started = time.perf_counter()
        for _ in range(commits):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO durability (body) VALUES (?)", (BODY,))
            connection.execute("COMMIT")
        return (time.perf_counter() - started) / commits

    return run


def postgres_commits(url: str, synchronous_commit: str) -> Callable[[int], float]:
    import psycopg

    connection = psycopg.connect(url, autocommit=True)
    connection.execute(f"SET synchronous_commit = {synchronous_commit}")
    connection.execute(CREATE.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"))

    def run(commits: int) -> float:
        started = time.perf_counter()
        for _ in range(commits):
            with connection.transaction():
                connection.execute("INSERT INTO durability (body) VALUES (%s)", (BODY,))
        return (time.perf_counter() - started) / commits

    return run


def compare(title: str, modes: dict[str, Callable[[int], float]], commits: int, rounds: int) -> None:
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for run in modes.values():
        run(commits // 5)  # warm-up
    for n in range(rounds):
        for mode in modes if n % 2 == 0 else list(reversed(modes)):
            times[mode].append(modes[mode](commits))
    medians = {mode: statistics.median(values) * 1e6 for mode, values in times.items()}
    (first, base), *others = medians.items()
    line = ", ".join(f"{mode} {us:,.0f} µs" for mode, us in medians.items())
    ratios = ", ".join(f"{mode} / {first} {us / base:.2f}\N{MULTIPLICATION SIGN}" for mode, us in others)
    print(f"{title}: per commit {line}; {ratios} ({rounds} rounds of {commits} commits, medians)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    wanted = args.databases.split(",")
    if "sqlite" in wanted:
        with tempfile.TemporaryDirectory(prefix="durability-") as directory:
            modes = {m: sqlite_commits(Path(directory) / f"{m}.db", m) for m in ("NORMAL", "FULL")}
            compare("SQLite (WAL) synchronous", modes, args.commits, args.rounds)
    if "postgresql" in wanted:
        admin = args.postgres_url
        name = f"durability_{int(time.time())}"
        seed.create_postgres_database(admin, name)
        try:
            url = admin.rsplit("/", 1)[0] + f"/{name}"
            modes = {m: postgres_commits(url, m) for m in ("off", "on")}
            compare("PostgreSQL synchronous_commit", modes, args.commits, args.rounds)
        finally:
            seed.drop_postgres_database(admin, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
