"""Domain events: facts other services learn (a user registered, a post edited), written to an outbox
in the unit of work of the change they announce and published later, as CloudEvents, by an
EventPublisher."""

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from domain.users import Email

EVENT_TYPE_PREFIX = "users-posts"

E = TypeVar("E")


def _plain(value: object) -> object:
    """A field's value as event data holds it: a value object or an enum by its value."""
    return value.value if isinstance(value, Email | enum.Enum) else value


@dataclass(frozen=True, slots=True)
class EventType(Generic[E]):
    """A kind of event, `users-posts.<entity>.<action>`, about one entity of `collection` (its subject,
    `posts/7`). Its data are the entity's `fields`, named once here: its public fields and its version,
    never a credential."""

    entity: str
    action: str
    collection: str
    fields: tuple[str, ...]

    @property
    def name(self) -> str:
        """The CloudEvents `type` (and the routing key, or the subject on NATS)."""
        return f"{EVENT_TYPE_PREFIX}.{self.entity}.{self.action}"

    def subject(self, entity: E) -> str:
        return f"{self.collection}/{getattr(entity, 'id')}"  # noqa: B009 (any entity with an id)

    def data(self, entity: E, **extra: object) -> dict[str, object]:
        """The event's data: the entity's `fields`, then `extra` (what only the change knows)."""
        data = {name: _plain(getattr(entity, name)) for name in self.fields}
        data.update(extra)
        return data


class Events(Protocol):
    """Events to publish, written in the unit of work of the change they announce: committed together,
    or not at all. With events off (no broker configured) adapters write nothing."""

    async def add(self, kind: EventType[E], entity: E, **extra: object) -> None:
        """Record that `kind` happened to `entity` (stored as it is now, with `extra` in its data)."""
        ...


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """An event on its way to the broker, as CloudEvents 1.0 names its attributes: `id` is the same on
    every attempt to publish it; `data` is its JSON text; `traceparent` (the distributed tracing
    extension) ties it to the request that wrote it, when there was a trace."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: str
    traceparent: str | None = None


class EventPublisher(Protocol):
    """Publishes events to a broker, each confirmed by the broker before `publish` returns. Raises
    application.errors.EventNotPublished, saying whether trying again later may succeed."""

    async def connect(self) -> None:
        """Connect (again) if not connected; EventNotPublished when the broker cannot be reached."""
        ...

    @property
    def connected(self) -> bool: ...

    async def publish(self, event: CloudEvent) -> None: ...

    async def close(self) -> None: ...
