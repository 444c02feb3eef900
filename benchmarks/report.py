"""RESULTS.md: one table per database, ratios against the baseline and the ceiling, and the targets."""

import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pwdlib import PasswordHash

from benchmarks import comments, scale_out
from benchmarks.harness import HERE, LEGACY_APP
from benchmarks.sections import WRITE_TARGETS, scale_rows, write_rows

# Goals for OUR app: throughput as a multiple of the baseline's, per database and endpoint (issue 20).
TARGETS: dict[str, Any] = {
    "sqlite": {"get_user": 3.0, "list_users": 5.0, "user_posts": 3.0},
    "postgresql": {"get_user": 2.5, "list_users": 3.5, "user_posts": 2.5},
    "p99_during_registrations_max_ratio": 4.0,
    # Throughput lost on GET /users/{id} to access events and metrics, as a fraction of the quiet run's.
    "observability_max_cost": 0.10,
    "middleware_max_loss": 0.05,
    "login_flood_max_rss_mib": 600,
    "login_flood_max_p99_ratio": 4.0,
    # Each read endpoint keeps at least this share of the earlier app's throughput (`before`).
    "before_min_ratio": 1.0,
    # The tail: each read's p99 at most this multiple of its p50, and PostgreSQL's get-by-id p99 bound.
    "tail_max_ratio": 3.0,
    "postgresql_get_user_max_p99_ms": 25.0,
    # Throughput of 2 workers over 1 (PostgreSQL).
    "workers_min_scaling": 1.8,
    # A post's comments (GET /posts/{id}/comments?limit=100) over a user's posts, both ours.
    "comments_min_ratio": 0.9,
    "writes": WRITE_TARGETS,
}
TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LABELS = {
    "get_user": "GET /users/{id}",
    "list_users": "GET /users/?limit=100",
    "user_posts": "GET /users/{id}/posts?limit=100",
}
APPS = ("baseline", "tutorial_async", "before", "ours", "ceiling")
APP_TITLES = {
    "baseline": "baseline",
    "tutorial_async": "tutorial async",
    "before": "before",
    "ours": "ours",
    "ceiling": "ceiling",
}
X = "\N{MULTIPLICATION SIGN}"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if "model name" in ln), platform.processor())
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0].split(" [")[0] if wrk.stdout or wrk.stderr else "?",
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
        "argon2_hash_ms": round(_hash_ms()),
        "packages": {name: version(name) for name in ("fastapi", "sqlmodel", "sqlalchemy", "uvicorn")},
    }


def _hash_ms() -> float:
    """How long one pwdlib argon2 hash (the registration's cost) takes here."""
    hasher = PasswordHash.recommended()
    started = time.perf_counter()
    hasher.hash("correct horse battery")
    return (time.perf_counter() - started) * 1000


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _throughput(cell: dict[str, Any] | None) -> float | None:
    """Median req/s of a successful measurement, else None."""
    return cell.get("requests_per_s") if cell is not None and "error" not in cell else None


def _rate_cell(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "—"
    if "requests_per_s" not in cell:
        return str(cell.get("unavailable") or cell.get("error", "error"))
    return _number(cell["requests_per_s"])


def _latency_cell(cell: dict[str, Any] | None) -> str:
    if cell is None or "requests_per_s" not in cell:
        return "—"
    return f"{_ms(cell['p50_ms'])} / {_ms(cell['p99_ms'])}"


def _app_cells(cell: dict[str, Any] | None) -> list[str]:
    """req/s, p50 ms, p99 ms of one measurement (or what prevented it) as three cells."""
    if cell is None or "requests_per_s" not in cell:
        return [_rate_cell(cell), "", ""]
    return [_number(cell["requests_per_s"]), _ms(cell["p50_ms"]), _ms(cell["p99_ms"])]


def _ratio(ours: float | None, other: float | None, at_least: float) -> str:
    if not (ours and other):
        return "n/a"
    ratio = ours / other
    return f"**{ratio:.2f}{X}** {'✓' if ratio >= at_least else '✗'}"


def _endpoint_row(
    key: str, cells: dict[str, dict[str, Any]], apps: list[str], targets: dict[str, Any]
) -> str:
    rate = {app: _throughput(cells.get(app, {}).get(key)) for app in APPS}
    row = [LABELS[key], *(_rate_cell(cells.get(app, {}).get(key)) for app in apps)]
    row.append(_ratio(rate["ours"], rate["baseline"], targets["target"]) + f" (≥ {targets['target']:g}{X})")
    if "before" in apps:
        row.append(_ratio(rate["ours"], rate["before"], targets["before"]) + f" (≥ {targets['before']:g}{X})")
    ours, ceiling = rate["ours"], rate["ceiling"]
    row.append(f"{100 * ours / ceiling:.0f} %" if ours and ceiling else "n/a")
    return "| " + " | ".join(row) + " |"


def _tables(
    cells: dict[str, dict[str, Any]], targets: dict[str, float], before_min: float, tail: dict[str, float]
) -> list[str]:
    apps = [app for app in APPS if app in cells]
    titles = [APP_TITLES[app] for app in apps]
    ratios = ["ours / baseline"] + (["ours / before"] if "before" in apps else []) + ["ours % of ceiling"]
    lines = [
        "| endpoint (req/s) | " + " | ".join(titles) + " | " + " | ".join(ratios) + " |",
        "|---|" + "--:|" * len(apps) + "---|" * len(ratios),
    ]
    for key in LABELS:
        lines.append(_endpoint_row(key, cells, apps, {"target": targets[key], "before": before_min}))
    lines += [
        "",
        "| endpoint (p50 / p99 ms) | " + " | ".join(titles) + " | ours p99 / p50 |",
        "|---|" + "--:|" * len(apps) + "--:|",
    ]
    for key in LABELS:
        latencies = " | ".join(_latency_cell(cells[app].get(key)) for app in apps)
        tail_cell = _tail_ratio(cells.get("ours", {}).get(key), tail["ratio"], tail.get(key))
        lines.append(f"| {LABELS[key]} | {latencies} | {tail_cell} |")
    return lines


def _tail_ratio(cell: dict[str, Any] | None, max_ratio: float, max_p99_ms: float | None) -> str:
    """p99 over p50 of a successful measurement (how far the tail is from the median) against its
    target, and the p99 against its bound when there is one."""
    if cell is None or not _throughput(cell) or not cell.get("p50_ms"):
        return "n/a"
    ratio = cell["p99_ms"] / cell["p50_ms"]
    shown = f"**{ratio:.1f}{X}** {'✓' if ratio <= max_ratio else '✗'} (≤ {max_ratio:g}{X})"
    if max_p99_ms is not None:
        p99 = cell["p99_ms"]
        shown += f"; p99 {'✓' if p99 <= max_p99_ms else '✗'} (≤ {max_p99_ms:g} ms)"
    return shown


def _mixed_rows(cells: dict[str, dict[str, Any]], max_ratio: float) -> list[str]:
    rows = [
        "| app | reads req/s during | p99 without | p99 during | during / without | target (ours) |"
        " registrations ok / failed |",
        "|---|--:|--:|--:|--:|---|--:|",
    ]
    for app in (app for app in APPS if app in cells):
        quiet = cells.get(app, {}).get("get_user")
        busy = cells.get(app, {}).get("get_user_during_registrations")
        target = f"< {max_ratio:g}{X}" if app == "ours" else ""
        if quiet is None or busy is None or not _throughput(quiet):
            rows.append(f"| {app} | n/a | | | | {target} | |")
            continue
        registered = busy.get("registrations", {})
        counts = f"{registered.get('ok', 0)} / {registered.get('failed', 0)}"
        without = f"{_ms(quiet['p99_ms'])} ms"
        if not _throughput(busy):
            rows.append(f"| {app} | {busy.get('error', 'n/a')} | {without} | | | {target} | {counts} |")
            continue
        ratio = busy["p99_ms"] / quiet["p99_ms"]
        verdict = (" ✓" if ratio < max_ratio else " ✗") if app == "ours" else ""
        rows.append(
            f"| {app} | {_number(busy['requests_per_s'])} | {without} | {_ms(busy['p99_ms'])} ms"
            f" | **{ratio:.2f}{X}**{verdict} | {target} | {counts} |"
        )
    return rows


def _workers_rows(workers: dict[str, Any], min_scaling: float) -> list[str]:
    """Our app as `users-posts serve` runs it (its server options, access log on), 1 and 2 workers."""
    if "cells" not in workers:
        return [f"Not measured: {workers.get('error', 'n/a')}"]
    rows = ["| workers | req/s | p50 ms | p99 ms |", "|--:|--:|--:|--:|"]
    rows += [f"| {n} | " + " | ".join(_app_cells(cell)) + " |" for n, cell in workers["cells"].items()]
    scaling = workers.get("scaling")
    most = list(workers["cells"])[-1]
    verdict = f" {'✓' if scaling >= min_scaling else '✗'} (≥ {min_scaling:g}{X})" if scaling else ""
    rows += ["", f"Scaling, {most} workers / 1: **{scaling:.2f}{X}**{verdict}" if scaling else "Scaling: n/a"]
    return rows


def _observability_rows(cells: dict[str, dict[str, Any]] | None, max_cost: float) -> list[str]:
    rows = [
        "| logging and metrics | req/s | p50 ms | p99 ms | cost | target |",
        "|---|--:|--:|--:|--:|---|",
    ]
    if not cells:
        return [*rows, "| n/a | | | | | |"]
    on, off = _throughput(cells.get("on")), _throughput(cells.get("off"))
    rows.append(
        "| off (`APP_LOG_LEVEL=WARNING`, `APP_METRICS_ENABLED=false`) | "
        + " | ".join(_app_cells(cells.get("off")))
        + " | | |"
    )
    cost = (
        f"**{100 * (off - on) / off:.1f} %** {'✓' if (off - on) / off <= max_cost else '✗'}"
        if on and off
        else "n/a"
    )
    rows.append(
        "| on (JSON access event per request, metrics) | "
        + " | ".join(_app_cells(cells.get("on")))
        + f" | {cost} | ≤ {100 * max_cost:g} % |"
    )
    return rows


def _conditional_rows(cells: dict[str, dict[str, Any]] | None) -> list[str]:
    rows = ["| answer | req/s | p50 ms | p99 ms | 304 / 200 | target |", "|---|--:|--:|--:|--:|---|"]
    if not cells:
        return [*rows, "| n/a | | | | | |"]
    full, not_modified = _throughput(cells.get("200")), _throughput(cells.get("304"))
    ratio = (
        f"**{not_modified / full:.2f}{X}** {'✓' if not_modified > full else '✗'}"
        if full and not_modified
        else "n/a"
    )
    rows.append("| 200 with the body | " + " | ".join(_app_cells(cells.get("200"))) + " | | |")
    rows.append(
        "| 304 (`If-None-Match` names the current `ETag`) | "
        + " | ".join(_app_cells(cells.get("304")))
        + f" | {ratio} | > 1{X} |"
    )
    return rows


def _abuse_rows(result: dict[str, Any], targets: dict[str, Any]) -> list[str]:
    """The security middleware's cost to the reads, and the login flood (issue 10)."""
    if not result or "failed" in result:
        return [f"Not measured: {result.get('failed', 'n/a') if result else 'n/a'}"]
    max_loss = targets["middleware_max_loss"]
    rows = [
        "| endpoint | ours req/s | without the header/Host middleware req/s | reads lost | target |",
        "|---|--:|--:|--:|---|",
    ]
    for key, cell in result.get("middleware", {}).items():
        loss = cell.get("loss")
        shown = f"**{100 * loss:.1f} %** {'✓' if loss <= max_loss else '✗'}" if loss is not None else "n/a"
        ours, bare = cell.get("ours_rps"), cell.get("without_rps")
        rows.append(
            f"| {LABELS[key]} | {_number(ours) if ours else 'error'} | {_number(bare) if bare else 'error'}"
            f" | {shown} | ≤ {100 * max_loss:g} % |"
        )
    flood = result.get("flood", {})
    idle, during = flood.get("idle", {}), flood.get("during", {})
    rows += [
        "",
        f"Login flood: {flood.get('clients', '?')} concurrent `POST /auth/token` (right passwords):",
        "",
    ]
    if "p99_ms" not in idle or "p99_ms" not in during:
        rows.append(f"error: {flood.get('error') or idle.get('error') or during.get('error')}")
        return rows
    ratio = during["p99_ms"] / idle["p99_ms"]
    max_ratio, max_rss = targets["login_flood_max_p99_ratio"], targets["login_flood_max_rss_mib"]
    peak = flood["peak_rss_mib"]
    rows += [
        "| reads p99 idle | reads p99 during | during / idle | server RSS idle | peak RSS during | logins |",
        "|--:|--:|--:|--:|--:|---|",
        f"| {_ms(idle['p99_ms'])} ms | {_ms(during['p99_ms'])} ms"
        f" | **{ratio:.2f}{X}** {'✓' if ratio < max_ratio else '✗'} (< {max_ratio:g}{X})"
        f" | {flood['idle_rss_mib']:.0f} MiB | **{peak:.0f} MiB** {'✓' if peak < max_rss else '✗'}"
        f" (< {max_rss} MiB) | {flood['logins']} |",
    ]
    return rows


def _target(results: dict[str, Any], name: str) -> Any:
    """A target as the run recorded it, or today's for one it predates."""
    return results["targets"].get(name, TARGETS[name])


def markdown(results: dict[str, Any], chart: str | None = None) -> str:
    m, s = results["machine"], results["settings"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {results['date']} by `make bench` (`python -m benchmarks.run`),"
        f" {results['elapsed_s']:.0f} s in all. Apps: **baseline** = the tutorial-style app"
        " (`benchmarks/baseline_app.py`, sync), **tutorial async** = the tutorial's own async way"
        " (`benchmarks/tutorial_async_app.py`: `AsyncSession` on aiosqlite / asyncpg, `select(User)`,"
        " `response_model`), **before** = this service at commit"
        f" `{s.get('before') or '—'}`, served from a git worktree of it,"
        f" **ours** = `{s.get('app', LEGACY_APP)}` with JSON access events and metrics on, as in production,"
        " **ceiling** = raw Starlette + driver + orjson (`benchmarks/ceiling_app.py`).",
        "",
        f"- Machine: {m['cores']} cores ({m['cpu']}), {m['platform']}, Python {m['python']}, {m['wrk']};"
        f" {', '.join(f'{k} {v}' for k, v in m['packages'].items())}. Shared and noisy: compare the ratios"
        f" of one run, not absolute figures across runs (load average at start:"
        f" {', '.join(map(str, m['load_average_at_start']))}).",
        f"- Server: uvicorn `{' '.join(s['uvicorn'])}`, the same for every app, on 127.0.0.1.",
        f"- Load: `wrk -t{s['threads']} -c{s['connections']} --latency`, {s['warmup_s']:g} s warm-up then"
        f" {s['runs']} {X} {s['duration_s']:g} s per endpoint and app, apps interleaved run by run; req/s,"
        " p50 and p99 are each the median over the runs. Random user ids 1..1000, the same sequence for"
        " every app.",
        "- Data: 1 000 users, 5 000 posts (5 per user, ~50-char titles, ~500-char contents), 5 000 comments"
        " (5 on each of posts 1..1000, ~280-char bodies), identical for every app, schema by our"
        " `alembic upgrade head`.",
        f"- Mixed run: `POST /users/` with unique emails at {s['registrations_per_s']:g}/s (open loop)"
        " while `GET /users/{id}` is measured as above. One argon2 hash takes"
        f" ~{m['argon2_hash_ms']} ms of CPU here: hashing on the event loop would push the reads' p99 to"
        " at least that; hashing in a thread still competes for the two cores, which raises p99 too.",
        "- A run with any non-2xx response or socket error is shown as an error, never as a throughput.",
    ]
    if chart:
        lines += ["", f"![req/s, p50 and p99 per app and endpoint, per database]({chart})"]
    for database, result in results["databases"].items():
        title = TITLES.get(database, database)
        lines += ["", f"## {title}", ""]
        if "skipped" in result or "failed" in result:
            lines.append(f"Skipped: {result.get('skipped') or result.get('failed')}")
            continue
        if version_ := result.get("server_version"):
            lines += [f"PostgreSQL server {version_}.", ""]
        cells, targets = result["apps"], results["targets"][database]
        tail = {"ratio": _target(results, "tail_max_ratio")}
        if database == "postgresql":
            tail["get_user"] = _target(results, "postgresql_get_user_max_p99_ms")
        lines += _tables(cells, targets, _target(results, "before_min_ratio"), tail)
        lines += ["", f"### {title}: `GET /users/{{id}}` during registrations", ""]
        lines += _mixed_rows(cells, results["targets"]["p99_during_registrations_max_ratio"])
        if "workers" in result:
            lines += ["", f"### {title}: `GET /users/{{id}}` with `users-posts serve --workers N`", ""]
            lines += _workers_rows(result["workers"], _target(results, "workers_min_scaling"))
        if "scale_out" in result:
            lines += ["", f"### {title}: PgBouncer and read replicas (issue 19)", ""]
            lines += scale_out.rows(result["scale_out"])
        lines += ["", f"### {title}: `GET /users/{{id}}` of ours, logging and metrics on vs off", ""]
        lines += _observability_rows(
            result.get("observability"), results["targets"]["observability_max_cost"]
        )
        lines += ["", f"### {title}: `GET /users/{{id}}` of ours, 200 vs 304", ""]
        lines += _conditional_rows(result.get("conditional"))
        lines += ["", f"### {title}: a post's comments against a user's posts, ours", ""]
        lines += comments.rows(result.get("comments"), _target(results, "comments_min_ratio"))
        lines += ["", f"### {title}: abuse resistance (issue 10)", ""]
        lines += _abuse_rows(result.get("abuse", {}), results["targets"])
        if "writes" in result:
            lines += ["", f"### {title}: writes, and a mixed workload (benchmarks/writes.py)", ""]
            lines += write_rows(database, result["writes"], results["targets"].get("writes", WRITE_TARGETS))
    if "scale" in results:
        lines += ["", "## PostgreSQL at scale (`benchmarks/scale.py`)", ""]
        lines += scale_rows(results["scale"])
    return "\n".join(lines) + "\n"


CHART_COLORS = {
    "baseline": "#9e9e9e",
    "tutorial_async": "#c7a76c",
    "before": "#6c8ebf",
    "ours": "#d9534f",
    "ceiling": "#5cb85c",
}


def chart(results: dict[str, Any], path: Path) -> bool:
    """A PNG beside RESULTS.md: per database, req/s per app and endpoint (left) and p50 / p99 (right:
    the bar is p50, the whisker p99). False, and nothing written, when no database was measured."""
    import matplotlib  # the bench extra; imported here so that reading results never needs it

    matplotlib.use("Agg")  # no display: a file
    from matplotlib import pyplot

    measured = {db: r for db, r in results["databases"].items() if "apps" in r}
    if not measured:
        return False
    figure, axes = pyplot.subplots(len(measured), 2, figsize=(14, 4.2 * len(measured)), squeeze=False)
    for row, (database, result) in enumerate(measured.items()):
        cells = result["apps"]
        apps = [app for app in APPS if app in cells]
        width = 0.8 / len(apps)
        for n, app in enumerate(apps):
            xs = [i + (n - (len(apps) - 1) / 2) * width for i in range(len(LABELS))]
            measured_cells = [cells[app].get(key) or {} for key in LABELS]
            rps = [cell.get("requests_per_s", 0) for cell in measured_cells]
            p50 = [cell.get("p50_ms", 0) for cell in measured_cells]
            p99 = [cell.get("p99_ms", 0) for cell in measured_cells]
            color, label = CHART_COLORS.get(app, "#333333"), APP_TITLES[app]
            axes[row][0].bar(xs, rps, width, color=color, label=label)
            tails = [max(high - low, 0) for low, high in zip(p50, p99, strict=True)]
            axes[row][1].bar(xs, p50, width, color=color, label=label)
            axes[row][1].errorbar(
                xs, p50, yerr=[[0] * len(xs), tails], fmt="none", ecolor="#333333", capsize=3
            )
        title = TITLES.get(database, database)
        axes[row][0].set_title(f"{title}: throughput (req/s, higher is better)")
        axes[row][1].set_title(f"{title}: latency, bar p50, whisker p99 (ms, log scale)")
        axes[row][1].set_yscale("log")
        for axis in axes[row]:
            axis.set_xticks(range(len(LABELS)), list(LABELS.values()), fontsize=8)
            axis.grid(axis="y", alpha=0.3)
        axes[row][0].legend(fontsize=8)
    s = results["settings"]
    figure.suptitle(
        f"make bench, {results['date']}: wrk -t{s['threads']} -c{s['connections']}, medians of {s['runs']}"
        f" {X} {s['duration_s']:g} s runs, apps interleaved (benchmarks/RESULTS.md)",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)
    return True


def main(argv: list[str] | None = None) -> int:
    """Re-render RESULTS.md and its chart from a results.json (default: benchmarks/results.json)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("results", type=Path, nargs="?", default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    write(results, args.results.parent)
    return 0


CHART_NAME = "RESULTS.png"
RESULTS_JSON = HERE / "results.json"


def record(change: Callable[[dict[str, Any]], None]) -> None:
    """Change the recorded run (results.json) by `change` and render RESULTS.md and its chart again:
    how a benchmark run alone (the writes, the scale) puts its figures beside make bench's."""
    recorded = json.loads(RESULTS_JSON.read_text())
    change(recorded)
    RESULTS_JSON.write_text(json.dumps(recorded, indent=2) + "\n")
    write(recorded, HERE)
    print(f"recorded in {RESULTS_JSON} and {HERE / 'RESULTS.md'}")


def write(results: dict[str, Any], directory: Path) -> str:
    """RESULTS.md and the chart beside it, in `directory`; returns the markdown."""
    drawn = chart(results, directory / CHART_NAME)
    text = markdown(results, CHART_NAME if drawn else None)
    (directory / "RESULTS.md").write_text(text)
    return text


if __name__ == "__main__":
    raise SystemExit(main())
