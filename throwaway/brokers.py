"""Throwaway places on the event brokers of APP_TEST_RABBITMQ_URL and APP_TEST_NATS_URL: an exchange or
a stream named for one test run, deleted after it, so that runs never read each other's events."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import aio_pika
import nats

from throwaway.databases import off_loop

RABBITMQ_URL = os.environ.get("APP_TEST_RABBITMQ_URL")
NATS_URL = os.environ.get("APP_TEST_NATS_URL")
SKIP_RABBITMQ = (
    "RabbitMQ tests are off: set APP_TEST_RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/ "
    "(.ci/run does when 127.0.0.1:5672 answers; apt-get install rabbitmq-server)"
)
SKIP_NATS = (
    "NATS tests are off: set APP_TEST_NATS_URL=nats://127.0.0.1:4222, a server with JetStream "
    "(.ci/run does when 127.0.0.1:4222 answers; nats-server -js)"
)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def _delete_exchange(url: str, name: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.exchange_delete(name)


async def _delete_stream(url: str, name: str) -> None:
    client = await nats.connect(url)
    try:
        with suppress(nats.js.errors.NotFoundError):
            await client.jetstream().delete_stream(name)
    finally:
        await client.close()


@contextmanager
def rabbitmq_exchange(url: str) -> Iterator[str]:
    """The name of an exchange for this run alone (the service declares it), deleted at the end."""
    name = unique_name("test-users-posts")
    try:
        yield name
    finally:
        off_loop(lambda: asyncio.run(_delete_exchange(url, name)))


@contextmanager
def nats_stream(url: str) -> Iterator[tuple[str, str]]:
    """The name of a JetStream stream for this run alone (the service makes it), deleted at the end, and
    the subject prefix of this run's events (streams may not share subjects)."""
    name = unique_name("TEST_USERS_POSTS").replace("-", "_")
    try:
        yield name, f"{name.lower()}."
    finally:
        off_loop(lambda: asyncio.run(_delete_stream(url, name)))
