"""Fast JSON responses. Read endpoints build their DTO's JSON-ready data and serialize it once with
orjson, instead of constructing pydantic models that FastAPI would validate again before serializing.
The bytes are the same as the DTO's own serialization (tests/api/test_response_shapes.py); the DTOs
stay the documented response models."""

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from api.dependencies import public_url


class JSONBytes(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_UTC_Z)  # 'Z' for UTC, as pydantic writes it


def created(request: Request, path: str, content: Any, etag: str) -> JSONBytes:
    """A 201 with the created resource's `Location` (relative, or under APP_PUBLIC_URL; never from the
    request's Host) and `ETag`."""
    location = public_url(request) + path
    return JSONBytes(content, status_code=201, headers={"Location": location, "ETag": etag})
