"""The broker APP_EVENTS_URL names, as an EventPublisher that can also be subscribed to (what
`users-posts events tail` and the tests read), and the reachability check of `users-posts check`."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from application.ports.events import EVENT_TYPE_PREFIX, EventPublisher
from infrastructure.settings import Settings

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


def scheme_of(url: str) -> str:
    return urlsplit(url).scheme.lower()


def make_broker(settings: Settings) -> Broker:
    """The broker of APP_EVENTS_URL (the settings refuse any other scheme than these)."""
    url = settings.events_url
    assert url is not None, "events are on"
    timeout = settings.events_timeout_seconds
    if scheme_of(url) == "nats":
        from infrastructure.events.jetstream import JetStreamBroker

        return JetStreamBroker(url, settings.events_stream, timeout, settings.events_subject_prefix)
    from infrastructure.events.rabbitmq import RabbitMqBroker

    return RabbitMqBroker(url, settings.events_exchange, timeout)


async def check_broker(settings: Settings) -> str:
    """Connect to the broker (declaring the exchange, or the stream, if missing), then close; what it
    is when it answers, raises what fails."""
    broker = make_broker(settings)
    try:
        await broker.connect()
    finally:
        await broker.close()
    return broker.where


def without_password(url: str) -> str:
    """`url` fit for a message and a log line: any password hidden."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
