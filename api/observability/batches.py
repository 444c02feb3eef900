"""Work held back from the request that made it and done in batches: the access events and the request
metrics (a batch does at once what each request would do alone; docs/performance.md)."""

import asyncio
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from contextvars import Context
from typing import Generic, TypeVar

T = TypeVar("T")

EVERY_S = 0.05  # the longest an item waits on a running event loop
LIMIT = 256  # the most items held: a loop too busy to run the timer holds no more


class Batch(Generic[T]):
    """Items held for `due`, which takes them (`take`): called EVERY_S after the first item held, at
    once when LIMIT are held or no event loop runs, and whenever its owner wants. One timer at most is
    pending, and it holds no request's context."""

    def __init__(self, due: Callable[[], None]) -> None:
        self._due = due
        # A deque: its append and popleft are atomic, so a record logged on another thread (which writes
        # the held events first) can take them while the event loop adds more, and lose none.
        self._items: deque[T] = deque()
        self._timer = False

    def add(self, item: T) -> None:
        self._items.append(item)
        if len(self._items) >= LIMIT:
            self._due()
        elif not self._timer:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no event loop: now
                self._due()
                return
            self._timer = True
            loop.call_later(EVERY_S, self._on_timer, context=Context())

    def take(self) -> list[T]:
        """The items held, which are no longer."""
        items = []
        with suppress(IndexError):
            while True:
                items.append(self._items.popleft())
        return items

    def _on_timer(self) -> None:
        self._timer = False
        self._due()
