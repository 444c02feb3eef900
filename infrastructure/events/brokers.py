"""What every broker is: an EventPublisher that can also be subscribed to (what `users-posts events tail`
and the tests read), and the words its adapters share."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from application.ports.events import EVENT_TYPE_PREFIX, EventPublisher

EVERY_TYPE = "#"


@dataclass(frozen=True, slots=True)
class Received:
    """A message as a subscriber got it: its body (the structured CloudEvent) and what the broker said
    of it (None where the broker has no such property)."""

    body: bytes
    message_id: str | None
    content_type: str | None
    persistent: bool | None = None


class Broker(EventPublisher, Protocol):
    def subscribe(self, pattern: str = EVERY_TYPE) -> AbstractAsyncContextManager[AsyncIterator[Received]]:
        """A subscription of its own (an exclusive queue, an ephemeral consumer) to the events published
        from now on whose type matches `pattern`, removed when the block ends."""
        ...

    @property
    def where(self) -> str:
        """The broker and what it publishes to, for operators (no credentials)."""
        ...


def type_pattern(pattern: str, *, rest: str) -> str:
    """An event-type pattern (`*` one word, `#` or `>` the rest; the `users-posts.` prefix optional) in
    the broker's notation, whose wildcard for "the rest" is `rest`."""
    if pattern in ("", "#", ">"):
        pattern = f"{EVENT_TYPE_PREFIX}.#"
    elif not pattern.startswith(f"{EVENT_TYPE_PREFIX}."):
        pattern = f"{EVENT_TYPE_PREFIX}.{pattern}"
    return ".".join(rest if word in ("#", ">") else word for word in pattern.split("."))


def without_password(url: str) -> str:
    """`url` fit for a message and a log line: any password hidden."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
