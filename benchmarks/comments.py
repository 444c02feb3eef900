"""A post's comments against a user's posts, on our app: `GET /posts/{id}/comments?limit=100` and
`GET /users/{id}/posts?limit=100` served by one server, measured interleaved run by run. Both pages hold
five items on the seeded data (benchmarks/seed.py); the comments' page joins each comment's author. The
comment page keeps at least MIN_RATIO of the posts page's throughput.

`make bench` runs it on each database (the "comments" section of RESULTS.md); alone, on freshly seeded
databases:

    python -m benchmarks.comments [--databases sqlite,postgresql] [--runs 5] [--duration 5]
"""

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from benchmarks import abuse, seed
from benchmarks.harness import HERE, OURS_ENV, Settings, app_target, measure, serve, wrk_available

COMMENTS_PATH = "/posts/{id}/comments?limit=100"
POSTS_PATH = "/users/{id}/posts?limit=100"
COMMENT_KEYS = {"id", "post_id", "body", "author", "created_at", "updated_at"}
MIN_RATIO = 0.9
X = "\N{MULTIPLICATION SIGN}"


def probe(base_url: str) -> str | None:
    """None when post 1's comments answer 200 with the seeded page, else why they cannot be measured."""
    try:
        response = httpx.get(base_url + COMMENTS_PATH.replace("{id}", "1"), timeout=10)
    except httpx.HTTPError as error:
        return f"error: probe failed ({type(error).__name__})"
    if response.status_code != 200:
        return f"error: probe answered {response.status_code}"
    items = response.json()
    if len(items) != seed.COMMENTS_PER_POST or any(set(item) != COMMENT_KEYS for item in items):
        return "error: unexpected response shape"
    return None


def measure_comments(base_url: str, settings: Settings) -> dict[str, Any]:
    """{"cells": {"user_posts": cell, "comments": cell}, "ratio": comments / user_posts req/s}."""
    if problem := probe(base_url):
        return {"error": problem}
    bases = {"user_posts": base_url, "comments": base_url}
    cells = measure(bases, POSTS_PATH, settings, paths={"comments": COMMENTS_PATH})
    posts, comments = (cells[key].get("requests_per_s") for key in ("user_posts", "comments"))
    ratio = comments / posts if posts and comments and "error" not in cells["comments"] else None
    return {"cells": cells, "ratio": ratio}


def rows(result: dict[str, Any] | None, min_ratio: float) -> list[str]:
    """The section of RESULTS.md: req/s, p50 and p99 of both pages, and the ratio against its target."""
    if not result:
        return ["Not measured."]
    if "error" in result:
        return [str(result["error"])]
    lines = ["| endpoint (ours) | req/s | p50 ms | p99 ms |", "|---|--:|--:|--:|"]
    for key, label in (("user_posts", POSTS_PATH), ("comments", COMMENTS_PATH)):
        cell = result["cells"][key]
        if "requests_per_s" not in cell:
            lines.append(f"| `GET {label}` | {cell.get('error', 'error')} | | |")
            continue
        lines.append(
            f"| `GET {label}` | {cell['requests_per_s']:.0f} | {cell['p50_ms']:.1f} | {cell['p99_ms']:.1f} |"
        )
    ratio = result.get("ratio")
    verdict = "n/a" if ratio is None else f"**{ratio:.2f}{X}** {'✓' if ratio >= min_ratio else '✗'}"
    lines += ["", f"Comments / a user's posts: {verdict} (≥ {min_ratio:g}{X})."]
    return lines


@contextlib.contextmanager
def _database(database: str, postgres_url: str, directory: Path) -> Any:
    """The URL of a freshly seeded database of `database`'s kind, for the block."""
    if database == "sqlite":
        path = directory / "comments.db"
        seed.seed_sqlite(path)
        yield f"sqlite:///{path}"
        return
    with seed.seeded_postgres(postgres_url) as url:
        yield seed.asyncpg_url(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if not wrk_available():
        print("error: wrk is not installed; install it with `apt-get install wrk`", file=sys.stderr)
        return 2
    settings = Settings(args.warmup, args.duration, args.runs, args.connections, args.threads, 0.0, 0)
    results = {}
    for database in args.databases.split(","):
        with (
            tempfile.TemporaryDirectory(prefix="bench-comments-") as directory,
            _database(database, args.postgres_url, Path(directory)) as url,
        ):
            env = {"APP_DATABASE_URL": url, **abuse.RAISED_LIMITS, **OURS_ENV}
            log = HERE / "results" / f"{database}-ours-comments.log"
            with serve(app_target(), env, log) as base_url:
                results[database] = measure_comments(base_url, settings)
        print(f"\n{database}\n" + "\n".join(rows(results[database], MIN_RATIO)), flush=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
