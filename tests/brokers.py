"""The event brokers tests run against: their settings for this run (an exchange or a stream of its own,
deleted after the run), as Settings fields or as the environment of a served app."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from infrastructure.events.brokers import Broker
from infrastructure.events.configured_broker import make_broker
from infrastructure.settings import Settings
from throwaway.brokers import NATS_URL, RABBITMQ_URL, SKIP_NATS, SKIP_RABBITMQ, nats_stream, rabbitmq_exchange

BROKER_KINDS = ["rabbitmq", "nats"]


@contextmanager
def broker_settings(kind: str) -> Iterator[dict[str, str]]:
    """The events_* settings of a real broker of `kind` for this run (skips when it is not configured)."""
    if kind == "rabbitmq":
        if not RABBITMQ_URL:
            pytest.skip(SKIP_RABBITMQ)
        with rabbitmq_exchange(RABBITMQ_URL) as exchange:
            yield {"events_url": RABBITMQ_URL, "events_exchange": exchange}
        return
    if not NATS_URL:
        pytest.skip(SKIP_NATS)
    with nats_stream(NATS_URL) as (stream, prefix):
        yield {"events_url": NATS_URL, "events_stream": stream, "events_subject_prefix": prefix}


def broker_of(settings: dict[str, str]) -> Broker:
    """The broker adapter these events_* settings name."""
    return make_broker(Settings.model_validate(settings))


def as_environment(settings: dict[str, str]) -> dict[str, str]:
    """Settings fields as the APP_ variables that set them."""
    return {f"APP_{name.upper()}": value for name, value in settings.items()}
