"""`users-posts events tail`: prints the events published from now on, one JSON line each, those of the
types asked for only, from a subscription of its own (on each real broker)."""

import asyncio
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import IO

import orjson
import pytest

from application.ports.events import CloudEvent
from infrastructure.outbox.queue import new_key
from tests.brokers import as_environment, broker_of
from throwaway.processes import CLI


def event(kind: str) -> CloudEvent:
    now = datetime.now(UTC)
    return CloudEvent(new_key(), f"users-posts.{kind}", "/users-posts", "posts/1", now, '{"id": 1}')


def read_line(stream: IO[str] | None, within_seconds: float = 20) -> str:
    """The next line of a child's output; a failed test if none comes in time (the child is then killed,
    which ends the read)."""
    assert stream is not None
    reader = ThreadPoolExecutor(max_workers=1)
    try:
        return reader.submit(stream.readline).result(timeout=within_seconds)
    finally:
        reader.shutdown(wait=False)  # a read still blocked ends when the child is killed


@pytest.fixture
def tail(broker_kind_settings: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("APP_")}
    process = subprocess.Popen(
        [CLI, "events", "tail", "--type", "post.*"],
        env={**env, **as_environment(broker_kind_settings)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert read_line(process.stderr).startswith("# events of ")  # subscribed
        yield process
    finally:
        process.kill()
        process.wait()


def test_tail_prints_the_events_of_the_types_asked_for(
    tail: subprocess.Popen[str], broker_kind_settings: dict[str, str]
) -> None:
    published = [event("user.registered"), event("post.created")]

    async def publish() -> None:
        broker = broker_of(broker_kind_settings)
        try:
            for each in published:
                await broker.publish(each)
        finally:
            await broker.close()

    asyncio.run(publish())
    line = read_line(tail.stdout)  # the user's event is not printed: the post's is the first line
    printed = orjson.loads(line)
    assert (printed["id"], printed["type"]) == (published[1].id, "users-posts.post.created")


def test_tail_without_a_broker_says_so() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("APP_")}
    result = subprocess.run([CLI, "events", "tail"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "APP_EVENTS_URL is not set" in result.stderr
