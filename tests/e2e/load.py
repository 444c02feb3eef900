"""Concurrent HTTP load for tests against served apps: the count of each kind of answer."""

import asyncio
import threading
import time
from collections import Counter

import httpx

CLIENTS = 16


def concurrent_load(
    base_url: str,
    paths: list[str],
    *,
    seconds: float | None = None,
    stop: threading.Event | None = None,
    requests: int | None = None,
    clients: int = CLIENTS,
) -> Counter[str]:
    """`clients` concurrent clients cycling over `paths` for `seconds`, until `stop` is set, or for
    `requests` each: the count of each answer, as "200", "503 retry-after=5 application/problem+json",
    or a transport error's name."""
    assert seconds is not None or stop is not None or requests is not None
    answers: Counter[str] = Counter()
    deadline = time.monotonic() + seconds if seconds is not None else None

    def going() -> bool:
        return not (stop is not None and stop.is_set()) and (deadline is None or time.monotonic() < deadline)

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            turn = number
            while going() and (requests is None or turn - number < requests):
                turn += 1
                try:
                    response = await http.get(paths[turn % len(paths)])
                except httpx.TransportError as error:
                    answers[type(error).__name__] += 1
                    continue
                if response.status_code == 503:
                    retry, kind = response.headers.get("retry-after"), response.headers.get("content-type")
                    answers[f"503 retry-after={retry} {kind}"] += 1
                else:
                    answers[str(response.status_code)] += 1

    async def main() -> None:
        await asyncio.gather(*(client(number) for number in range(clients)))

    asyncio.run(main())
    return answers
