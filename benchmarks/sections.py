"""The markdown of RESULTS.md's write sections (benchmarks/writes.py) and of its scale run
(benchmarks/scale.py), and the writes' targets: here, so that the report renders them without importing
the benchmarks that record them."""

from typing import Any

X = "\N{MULTIPLICATION SIGN}"
MIXED_CONNECTIONS = 64
WORKER_COUNTS = (1, 2)
WRITE_LABELS = {
    "create": "POST /posts/",
    "patch": "PATCH /posts/{id} (ours with If-Match)",
    "refresh": "POST /auth/token (refresh grant)",
    "mixed": "mixed: 90 % reads, 8 % creates, 2 % refreshes",
}
WRITE_TARGETS: dict[str, Any] = {
    # POST /posts/, ours over the tutorial-style app's throughput.
    "create_min_ratio": {"sqlite": 2.5, "postgresql": 2.0},
    "create_max_cpu_over_get": 2.0,  # CPU per create over CPU per get-by-id
    "tail_max_ratio": 3.0,  # p99 / p50 of every write and of the mixed workload
    "workers_max_cpu_ratio": 1.1,  # CPU per request, 2 workers over 1
}


def _check(ok: bool, bound: str) -> str:
    return f"{'✓' if ok else '✗'} ({bound})"


def _cell(cell: dict[str, Any] | None) -> list[str]:
    if not cell:
        return ["—", "—", "—", "—"]
    if "error" in cell:
        return [cell["error"], "", "", ""]
    return [
        f"{cell['requests_per_s']:,.0f}",
        f"{cell['p50_ms']:.1f}",
        f"{cell['p99_ms']:.1f}",
        f"{cell['cpu_us']:,.0f}",
    ]


def write_rows(database: str, result: dict[str, Any], targets: dict[str, Any] = WRITE_TARGETS) -> list[str]:
    """The markdown of one database's write section."""
    if "cells" not in result:
        return [f"Not measured: {result.get('failed', 'n/a')}"]
    cells = result["cells"]
    lines = (
        [
            f"Measured {result['date']} ({result['elapsed_s']} s), {result['load']}; ours with JSON access"
            " events, metrics and rate limits on (raised out of reach), signed in by bearer tokens.",
            "",
        ]
        if "date" in result
        else []
    )
    lines += [
        "| endpoint | app | req/s | p50 ms | p99 ms | server CPU µs/req | p99 / p50 |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    tail_bound = targets["tail_max_ratio"]
    for key, label in {"get_user": "GET /users/{id}", **WRITE_LABELS}.items():
        for app in ("baseline", "ours"):
            cell = cells.get(key, {}).get(app)
            if cell is None:
                continue
            tail = ""
            if "error" not in cell and key != "get_user":
                ratio = cell["p99_ms"] / cell["p50_ms"] if cell["p50_ms"] else float("inf")
                tail = f"**{ratio:.1f}{X}**" + (
                    " " + _check(ratio <= tail_bound, f"≤ {tail_bound:g}{X}") if app == "ours" else ""
                )
            lines.append(f"| {label} | {app} | " + " | ".join(_cell(cell)) + f" | {tail} |")
    lines.append("")
    create = cells.get("create", {})
    ours, baseline = create.get("ours", {}), create.get("baseline", {})
    if "requests_per_s" in ours and "requests_per_s" in baseline:
        ratio = ours["requests_per_s"] / baseline["requests_per_s"]
        bound = targets["create_min_ratio"][database]
        verdict = _check(ratio >= bound, f"≥ {bound:g}{X}")
        lines.append(f"- `POST /posts/`, ours / tutorial-style: **{ratio:.2f}{X}** {verdict}")
    get = cells.get("get_user", {}).get("ours", {})
    if "cpu_us" in ours and "cpu_us" in get:
        ratio = ours["cpu_us"] / get["cpu_us"]
        bound = targets["create_max_cpu_over_get"]
        lines.append(
            f"- CPU per create / CPU per get-by-id (ours): **{ratio:.2f}{X}**"
            f" {_check(ratio <= bound, f'≤ {bound:g}{X}')}"
        )
    patch = cells.get("patch", {})
    if "requests_per_s" in patch.get("ours", {}) and "requests_per_s" in patch.get("baseline", {}):
        ratio = patch["ours"]["requests_per_s"] / patch["baseline"]["requests_per_s"]
        lines.append(f"- `PATCH /posts/{{id}}`, ours (with If-Match) / tutorial-style: **{ratio:.2f}{X}**")
    workers = result.get("workers", {})
    if workers.get("cpu_ratio"):
        ratio, bound = workers["cpu_ratio"], targets["workers_max_cpu_ratio"]
        one, two = (workers["cells"][str(n)] for n in WORKER_COUNTS)
        lines.append(
            f"- `GET /users/{{id}}` with `users-posts serve`, CPU per request 2 workers / 1:"
            f" **{ratio:.2f}{X}** {_check(ratio <= bound, f'≤ {bound:g}{X}')}"
            f" ({two['cpu_us']:,.0f} against {one['cpu_us']:,.0f} µs; {two.get('requests_per_s', 0):,.0f}"
            f" against {one.get('requests_per_s', 0):,.0f} req/s)"
        )
    return lines


def scale_rows(run: dict[str, Any]) -> list[str]:
    """The markdown of a recorded run: its table and the plans."""
    lines = [
        f"Measured {run['date']} by `{run['command']}` (databases filled by SQL in"
        f" {', '.join(f'{s:.0f} s' for s in run['filled_s'])}); noisy machine: read the ratios of the run.",
        "",
    ]
    lines += run["table"]
    for label, plan in run["plans"]:
        lines += ["", f"{label}:", "", "```", plan, "```"]
    return lines
