"""What the event delivery needs from an outbox adapter, what every adapter writes for an event, and
the store of a unit of work that writes none (events off)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from application.ports.clock import Clock
from application.ports.events import E, EventType
from infrastructure.outbox.queue import Claimed, OutboxQueue
from infrastructure.outbox.signal import DeliverySignal


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedEvent(Claimed):
    """A claimed event: its key is the event's id, `time` when it was written, `data` its JSON text."""

    type: str
    subject: str
    time: datetime
    data: str


EventQueue = OutboxQueue[QueuedEvent]


def event_values(kind: EventType[E], entity: E, extra: dict[str, object]) -> dict[str, Any]:
    """The columns of the event row recording that `kind` happened to `entity`."""
    data = orjson.dumps(kind.data(entity, **extra), option=orjson.OPT_UTC_Z).decode()
    return {"type": kind.name, "subject": kind.subject(entity), "data": data}


class NoEvents:
    """`Events` that writes nothing: a unit of work's events while no broker is configured."""

    added = False

    async def add(self, kind: EventType[E], entity: E, **extra: object) -> None:
        return None


NO_EVENTS = NoEvents()


@dataclass(frozen=True, slots=True)
class EventRecording:
    """How units of work record events while a broker is configured: dated by `clock`, and waking the
    delivery loop's `signal` when they commit some."""

    clock: Clock
    signal: DeliverySignal
