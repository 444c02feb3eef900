"""The RabbitMQ broker, on aio-pika: a durable topic exchange (declared if missing), routing key = the
event's type, persistent messages carrying the event id as their message id, each publish confirmed by
the broker (publisher confirms) before it returns. One connection and channel, made again after a
failure by the next `connect`."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from aiormq import spec
from aiormq.abc import AbstractChannel as ProtocolChannel

from application.errors import EventNotPublished
from application.ports.events import CloudEvent
from infrastructure.events.brokers import EVERY_TYPE, Received, type_pattern, without_password
from infrastructure.events.envelope import CONTENT_TYPE, structured

# aiormq logs every failed connection attempt as an error; the delivery loop reports an outage once,
# when it starts and when it ends (infrastructure.events.delivery), and `check` says why in one line.
CONNECTION_LOGGER = "aiormq.connection"


class RabbitMqBroker:
    messaging_system = "rabbitmq"  # as tracing's semantic conventions name it

    def __init__(self, url: str, exchange: str, timeout_seconds: float) -> None:
        logging.getLogger(CONNECTION_LOGGER).setLevel(logging.CRITICAL)
        self._url = url
        self._exchange_name = exchange
        self._timeout = timeout_seconds
        self._connection: AbstractConnection | None = None
        self._publishing: ProtocolChannel | None = None  # the channel's own, under aio-pika's

    @property
    def where(self) -> str:
        return f"{without_password(self._url)} (exchange {self._exchange_name})"

    @property
    def connected(self) -> bool:
        return (
            self._connection is not None and not self._connection.is_closed and self._publishing is not None
        )

    async def _open(self) -> tuple[AbstractConnection, AbstractChannel, AbstractExchange]:
        connection = await aio_pika.connect(self._url, timeout=self._timeout)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.declare_exchange(
                self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True, timeout=self._timeout
            )
        except BaseException:
            await connection.close()
            raise
        return connection, channel, exchange

    async def connect(self) -> None:
        if self.connected:
            return
        await self.close()
        try:
            self._connection, channel, _ = await self._open()
            self._publishing = await channel.get_underlay_channel()
        except Exception as error:
            raise EventNotPublished(f"{type(error).__name__}: {error}", transient=True) from error

    async def publish(self, event: CloudEvent) -> None:
        await self.connect()
        assert self._publishing is not None
        # The frame's properties made directly, rather than through an aio-pika Message (which makes
        # them anyway, after setting and checking each of its own attributes).
        properties = spec.Basic.Properties(
            content_type=CONTENT_TYPE,
            message_id=event.id,
            message_type=event.type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT.value,
        )
        try:
            # Returns once the broker confirmed it; a nack raises (aiormq's DeliveryError).
            await self._publishing.basic_publish(
                structured(event),
                exchange=self._exchange_name,
                routing_key=event.type,
                properties=properties,
                timeout=self._timeout,
            )
        except Exception as error:
            # A nack, a timeout or a lost connection: whether the broker kept the message is unknown, so
            # it is published again (under the same id) on a connection made afresh.
            await self.close()
            raise EventNotPublished(f"{type(error).__name__}: {error}", transient=True) from error

    async def close(self) -> None:
        connection, self._connection, self._publishing = self._connection, None, None
        if connection is not None:
            with suppress(Exception):
                await connection.close()

    @asynccontextmanager
    async def subscribe(self, pattern: str = EVERY_TYPE) -> AsyncIterator[AsyncIterator[Received]]:
        connection, channel, exchange = await self._open()
        try:
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.bind(exchange, routing_key=type_pattern(pattern, rest="#"))
            yield self._received(queue)
        finally:
            await connection.close()

    @staticmethod
    async def _received(queue: aio_pika.abc.AbstractQueue) -> AsyncIterator[Received]:
        async with queue.iterator(no_ack=True) as messages:
            async for message in messages:
                yield Received(
                    message.body,
                    message.message_id,
                    message.content_type,
                    message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT,
                )
