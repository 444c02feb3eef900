"""A broker in memory: for tests. It keeps what it is given, and can be made unreachable or to refuse."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from fnmatch import fnmatchcase

from application.errors import EventNotPublished
from application.ports.events import CloudEvent
from infrastructure.events.brokers import EVERY_TYPE, Received, type_pattern
from infrastructure.events.envelope import CONTENT_TYPE, structured


class InMemoryBroker:
    """Records every event published (`published`); `reachable = False` makes connecting fail, and
    `failures` makes the next publishes raise."""

    where = "memory"
    messaging_system = "memory"

    def __init__(self) -> None:
        self.published: list[CloudEvent] = []
        self.failures: list[EventNotPublished] = []
        self.reachable = True
        self._connected = False
        self._subscribers: list[tuple[str, asyncio.Queue[Received]]] = []

    @property
    def connected(self) -> bool:
        return self._connected and self.reachable

    async def connect(self) -> None:
        if not self.reachable:
            raise EventNotPublished("the broker cannot be reached", transient=True)
        self._connected = True

    async def publish(self, event: CloudEvent) -> None:
        await self.connect()
        if self.failures:
            raise self.failures.pop(0)
        self.published.append(event)
        for pattern, queue in self._subscribers:
            if fnmatchcase(event.type, pattern):
                queue.put_nowait(Received(structured(event), event.id, CONTENT_TYPE, True))

    async def close(self) -> None:
        self._connected = False

    @asynccontextmanager
    async def subscribe(self, pattern: str = EVERY_TYPE) -> AsyncIterator[AsyncIterator[Received]]:
        await self.connect()
        # A shell pattern: "*" stands for one word or more here, which the tests' patterns allow.
        subscriber = (type_pattern(pattern, rest="*"), asyncio.Queue[Received]())
        self._subscribers.append(subscriber)
        try:
            yield self._received(subscriber[1])
        finally:
            self._subscribers.remove(subscriber)

    @staticmethod
    async def _received(queue: asyncio.Queue[Received]) -> AsyncIterator[Received]:
        while True:
            yield await queue.get()
