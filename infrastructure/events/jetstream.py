"""The NATS JetStream broker, on nats-py: the subject is the event's type (after a prefix, if one is
set), in a stream (declared if missing) of every `users-posts.>` subject. The `Nats-Msg-Id` header
carries the event id, so JetStream drops a duplicate published within its window; a publish returns
once the stream acknowledged it (the PubAck). One connection, without the client's own reconnection:
the next `connect` after a failure makes it again, as the delivery loop decides."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from application.errors import EventNotPublished
from application.ports.events import EVENT_TYPE_PREFIX, CloudEvent
from infrastructure.events.brokers import EVERY_TYPE, Received, type_pattern, without_password
from infrastructure.events.envelope import CONTENT_TYPE, structured

logger = logging.getLogger(__name__)


async def _quiet(error: Exception) -> None:
    # The client reports connection errors here too; the caller is told through the raised error.
    logger.debug("nats: %s", error)


class JetStreamBroker:
    messaging_system = "nats"  # as tracing's semantic conventions name it

    def __init__(self, url: str, stream: str, timeout_seconds: float, subject_prefix: str = "") -> None:
        self._url = url
        self._stream = stream
        self._timeout = timeout_seconds
        self._prefix = subject_prefix
        self._client: Client | None = None
        self._jetstream: JetStreamContext | None = None

    @property
    def where(self) -> str:
        return f"{without_password(self._url)} (stream {self._stream})"

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected and self._jetstream is not None

    async def _open(self) -> tuple[Client, JetStreamContext]:
        client = await nats.connect(
            self._url,
            connect_timeout=max(1, round(self._timeout)),
            allow_reconnect=False,
            # Two tries at most, at once: the delivery loop decides when to try again, not the client.
            max_reconnect_attempts=1,
            reconnect_time_wait=0,
            error_cb=_quiet,
            name="users-posts",
        )
        try:
            jetstream = client.jetstream(timeout=self._timeout)
            try:
                await jetstream.stream_info(self._stream)
            except NotFoundError:
                await jetstream.add_stream(
                    name=self._stream, subjects=[f"{self._prefix}{EVENT_TYPE_PREFIX}.>"]
                )
        except BaseException:
            await client.close()
            raise
        return client, jetstream

    async def connect(self) -> None:
        if self.connected:
            return
        await self.close()
        try:
            self._client, self._jetstream = await self._open()
        except Exception as error:
            raise EventNotPublished(f"{type(error).__name__}: {error}", transient=True) from error

    async def publish(self, event: CloudEvent) -> None:
        await self.connect()
        assert self._jetstream is not None
        headers = {"Nats-Msg-Id": event.id, "Content-Type": CONTENT_TYPE}
        try:
            await self._jetstream.publish(
                self._prefix + event.type,
                structured(event),
                timeout=self._timeout,
                stream=self._stream,
                headers=headers,
            )
        except Exception as error:
            # No PubAck (a timeout, a lost connection, an error from the stream): published again, under
            # the same Nats-Msg-Id, on a connection made afresh.
            await self.close()
            raise EventNotPublished(f"{type(error).__name__}: {error}", transient=True) from error

    async def close(self) -> None:
        client, self._client, self._jetstream = self._client, None, None
        if client is not None:
            with suppress(Exception):
                await client.close()

    @asynccontextmanager
    async def subscribe(self, pattern: str = EVERY_TYPE) -> AsyncIterator[AsyncIterator[Received]]:
        client, jetstream = await self._open()
        try:
            subscription = await jetstream.subscribe(
                self._prefix + type_pattern(pattern, rest=">"),
                stream=self._stream,
                ordered_consumer=True,  # ephemeral, in stream order, nothing to acknowledge
                deliver_policy=DeliverPolicy.NEW,
            )
            yield self._received(subscription)
        finally:
            await client.close()

    @staticmethod
    async def _received(subscription: JetStreamContext.PushSubscription) -> AsyncIterator[Received]:
        async for message in subscription.messages:
            headers = message.headers or {}
            yield Received(message.data, headers.get("Nats-Msg-Id"), headers.get("Content-Type"))
