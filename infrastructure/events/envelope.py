"""CloudEvents 1.0 in structured JSON mode: the envelope every broker carries as the message body."""

import orjson

from application.ports.events import CloudEvent

CONTENT_TYPE = "application/cloudevents+json"
DATA_CONTENT_TYPE = "application/json"


def structured(event: CloudEvent) -> bytes:
    """The event as one JSON object: its attributes, `data` (the stored JSON, not parsed again), and the
    `traceparent` extension attribute when the event has one. Times in UTC with a 'Z', as the API's."""
    envelope: dict[str, object] = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time,
        "datacontenttype": DATA_CONTENT_TYPE,
        "data": orjson.Fragment(event.data),
    }
    if event.traceparent is not None:
        envelope["traceparent"] = event.traceparent
    return orjson.dumps(envelope, option=orjson.OPT_UTC_Z)
