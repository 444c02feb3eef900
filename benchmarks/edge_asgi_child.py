"""Run by benchmarks.edge_ab (`--in-process`), with PYTHONPATH at the tree measured: the app's CPU time
per request, its ASGI interface called directly (no server, no sockets), `--concurrency` requests at a
time. Prints one line `EDGE_ASGI <µs per request>` on stderr (stdout takes the app's JSON logs).

Imports nothing of benchmarks/: the tree measured may be an older commit."""

import asyncio
import random
import sys
import time
from typing import Any

from api.app import create_app


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


def _scope(path: str) -> dict[str, Any]:
    target, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50123),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": target,
        "raw_path": target.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1:8000")],
        "state": {},
    }


async def _request(app: Any, path: str) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(path.replace("{id}", str(random.randint(1, 1000)))), receive, send)
    return status


async def _load(app: Any, path: str, requests: int, concurrency: int) -> None:
    remaining = requests

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            if (status := await _request(app, path)) != 200:
                raise RuntimeError(f"{path} answered {status}")

    await asyncio.gather(*(client() for _ in range(concurrency)))


async def main(path: str, requests: int, concurrency: int) -> None:
    app = create_app(configure_logs=True)
    await _lifespan(app)
    random.seed(1)
    await _load(app, path, requests // 5, concurrency)  # warm-up
    started = time.process_time()
    await _load(app, path, requests, concurrency)
    used = time.process_time() - started
    print(f"EDGE_ASGI {used / requests * 1e6:.2f}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    import uvloop  # as the server runs it

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
