"""Request ids: the client's X-Request-ID when it is sane, a fresh one otherwise; the id of the request
being answered is in REQUEST_ID, which every log event and problem body reads."""

import re
from contextvars import ContextVar
from secrets import token_hex

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being answered (set by the edge, api.middleware.edge), None outside requests."""


def is_sane_request_id(value: str) -> bool:
    """Whether a client's X-Request-ID is used as is: at most 128 characters of [A-Za-z0-9._-]."""
    return _SANE_REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    """A fresh id: 32 random hexadecimal digits (as many as a random UUID's, without building one)."""
    return token_hex(16)
