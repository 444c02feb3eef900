"""The broker APP_EVENTS_URL names, and the reachability check of `users-posts check`. Each adapter is
imported only when it is the one named, so that a service without events loads no broker client."""

from urllib.parse import urlsplit

from infrastructure.events.brokers import Broker
from infrastructure.settings import Settings


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
