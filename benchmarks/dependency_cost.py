"""What FastAPI charges per dependency: one route per shape, called through the ASGI interface in
process (no server, no database), the shapes interleaved; medians of µs per request.

    python -m benchmarks.dependency_cost

Shapes: no dependency; one async dependency taking the Request (as `UseCase[X]` does); one taking
nothing; the Request as an endpoint parameter; an optional header parameter (as `If-None-Match` is);
one sync dependency (run in the threadpool)."""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any

import uvloop
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

app = FastAPI()


class UseCaseStub:
    pass


STUB = UseCaseStub()


async def with_request(request: Request) -> UseCaseStub:
    return STUB


async def without_parameters() -> UseCaseStub:
    return STUB


def sync_dependency() -> UseCaseStub:
    return STUB


UserId = Annotated[int, Path(ge=1, le=10**9)]
EMPTY = b"{}"


@app.get("/none/{user_id}")
async def no_dependency(user_id: UserId) -> Response:
    return Response(EMPTY)


def depending_on(dependency: Callable[..., Any]) -> Callable[..., Awaitable[Response]]:
    """The route of `no_dependency` with one dependency parameter more, as a use case is taken."""

    async def endpoint(user_id: UserId, _: Annotated[UseCaseStub, Depends(dependency)]) -> Response:
        return Response(EMPTY)

    return endpoint


DEPENDENCY_SHAPES: dict[str, Callable[..., Any]] = {
    "request-dependency": with_request,
    "bare-dependency": without_parameters,
    "sync-dependency": sync_dependency,
}
for shape, dependency in DEPENDENCY_SHAPES.items():
    app.get(f"/{shape}/{{user_id}}")(depending_on(dependency))


@app.get("/request-parameter/{user_id}")
async def request_parameter(request: Request, user_id: UserId) -> Response:
    return Response(EMPTY)


@app.get("/header-parameter/{user_id}")
async def header_parameter(
    user_id: UserId, if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None
) -> Response:
    return Response(EMPTY)


Limit = Annotated[int, Query(ge=1, le=100)]
After = Annotated[int, Query(ge=0, le=10**9)]


async def page_dependency(limit: Limit = 20, after: After = 0) -> tuple[int, int]:
    return limit, after


class PageQuery(BaseModel):
    limit: int = Field(20, ge=1, le=100)
    after: int = Field(0, ge=0, le=10**9)


@app.get("/paging-dependency/{user_id}")
async def paging_dependency(
    user_id: UserId, page: Annotated[tuple[int, int], Depends(page_dependency)]
) -> Response:
    return Response(EMPTY)


@app.get("/paging-parameters/{user_id}")
async def paging_parameters(user_id: UserId, limit: Limit = 20, after: After = 0) -> Response:
    return Response(EMPTY)


@app.get("/paging-model/{user_id}")
async def paging_model(user_id: UserId, page: Annotated[PageQuery, Query()]) -> Response:
    return Response(EMPTY)


SHAPES = (
    "none",
    "request-dependency",
    "bare-dependency",
    "request-parameter",
    "header-parameter",
    "sync-dependency",
    "paging-dependency",
    "paging-parameters",
    "paging-model",
)


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"limit=100&after=7",
        "headers": [(b"host", b"127.0.0.1")],
        "state": {},
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: MutableMapping[str, Any]) -> None:
    return None


async def _per_request(shape: str, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await app(_scope(f"/{shape}/5"), _receive, _send)
    return (time.perf_counter() - started) / requests * 1e6


async def main(runs: int = 7, requests: int = 5000) -> None:
    for shape in SHAPES:
        await _per_request(shape, requests // 5)
    timings: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    for _ in range(runs):
        for shape in SHAPES:
            timings[shape].append(await _per_request(shape, requests))
    base = statistics.median(timings["none"])
    for shape in SHAPES:
        median = statistics.median(timings[shape])
        print(f"{shape:<20} {median:7.1f} µs per request ({median - base:+.1f})")


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
