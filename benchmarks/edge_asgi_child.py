"""Run by benchmarks.edge_ab (`--in-process`), with PYTHONPATH at the tree measured: the app's CPU time
per request, its ASGI interface called directly (no server, no sockets), `--concurrency` requests at a
time; after them, optionally `bearer` (as the seeded user 1, by a bearer token) and a JSON body to POST.
Prints one line `EDGE_ASGI <µs per request>` on stderr (stdout takes the app's JSON logs). Run under
`valgrind --tool=callgrind --instr-atstart=no` with EDGE_ASGI_CALLGRIND=1, it turns the instrumentation
on for the measured requests alone: valgrind's `Collected` line then counts their instructions (with
EDGE_ASGI_DRAIN=1, until the events they wrote are published).

Imports nothing of benchmarks/: the tree measured may be an older commit."""

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from typing import Any

from api.app import create_app

# Seeded user 1 (benchmarks/seed.py, which this module may not import).
LOGIN = b"username=user1%40example.com&password=correct+horse+battery"
Headers = list[tuple[bytes, bytes]]


async def _lifespan(app: Any) -> asyncio.Task[None]:
    started = asyncio.Event()
    messages: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await messages.put({"type": "lifespan.startup"})

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"].endswith("failed"):
            raise RuntimeError(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, messages.get, send))
    await asyncio.wait_for(started.wait(), 30)
    return task


def _scope(path: str, method: str = "GET", headers: Headers | None = None) -> dict[str, Any]:
    target, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50123),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": target,
        "raw_path": target.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1:8000"), *(headers or [])],
        "state": {},
    }


async def _request(
    app: Any, path: str, method: str = "GET", headers: Headers | None = None, body: bytes = b""
) -> tuple[int, bytes]:
    status, answer = 0, b""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, answer
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            answer += message.get("body", b"")

    path = path.replace("{id}", str(random.randint(1, 1000)))
    await app(_scope(path, method, headers), receive, send)
    return status, answer


async def _bearer(app: Any) -> Headers:
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    status, answer = await _request(app, "/auth/token", "POST", form, LOGIN)
    if status != 200:
        raise RuntimeError(f"login answered {status}: {answer!r}")
    return [(b"authorization", b"Bearer " + json.loads(answer)["access_token"].encode())]


async def _load(
    app: Any, path: str, requests: int, concurrency: int, headers: Headers, body: bytes | None
) -> None:
    remaining = requests
    method, expected = ("GET", 200) if body is None else ("POST", 201)
    if body is not None:
        headers = [*headers, (b"content-type", b"application/json")]

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            status, _ = await _request(app, path, method, headers, body or b"")
            if status != expected:
                raise RuntimeError(f"{path} answered {status}")

    await asyncio.gather(*(client() for _ in range(concurrency)))


async def _published(app: Any) -> None:
    """With EDGE_ASGI_DRAIN=1, wait until the events the requests wrote are published and marked: that
    work is part of what they cost, and the delivery loop would otherwise do most of it after the
    count."""
    container = app.state.container
    if os.environ.get("EDGE_ASGI_DRAIN") == "1" and container.settings().events_url:
        delivery = container.event_delivery()
        while await delivery.count_pending():  # noqa: ASYNC110 - the database's state, not an event of ours
            await asyncio.sleep(0.5)  # seldom: each look is a query of its own


def _count_instructions(on: bool) -> None:
    if os.environ.get("EDGE_ASGI_CALLGRIND") == "1":
        command = ["callgrind_control", "--instr=on" if on else "--instr=off", str(os.getpid())]
        subprocess.run(command, check=True, capture_output=True)


async def main(path: str, requests: int, concurrency: int, bearer: bool, body: bytes | None) -> None:
    app = create_app(configure_logs=True)
    await _lifespan(app)
    random.seed(1)
    headers = await _bearer(app) if bearer else []
    await _load(app, path, requests // 5, concurrency, headers, body)  # warm-up
    await _published(app)  # not counted with the measured requests' events
    _count_instructions(True)
    started = time.process_time()
    await _load(app, path, requests, concurrency, headers, body)
    await _published(app)
    used = time.process_time() - started
    _count_instructions(False)
    print(f"EDGE_ASGI {used / requests * 1e6:.2f}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    import uvloop  # as the server runs it

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        bearer = len(sys.argv) > 4 and sys.argv[4] == "bearer"
        body = sys.argv[5].encode() if len(sys.argv) > 5 else None
        runner.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), bearer, body))
