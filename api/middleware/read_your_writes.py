"""The caller of each request, for the read replicas' read-your-writes (infrastructure.sql.replicas):
the user id in the bearer token and the client address. Pure ASGI middleware, added only when
APP_DATABASE_REPLICA_URLS names replicas.

The token is not verified here: the id only decides whether this request's reads wait for the caller's
last write (go to the primary), which any client can cause by writing. The routes verify it as always."""

import base64
import binascii
import json
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_TOKEN_BYTES = 4096


def token_subject(authorization: bytes) -> str | None:
    """The `sub` claim of a `Bearer <JWT>` header value, unverified; None when there is none."""
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() != b"bearer" or len(token) > MAX_TOKEN_BYTES:
        return None
    parts = token.split(b".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + b"=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) and subject.isdecimal() and len(subject) <= 20 else None


class ReadYourWritesCaller:
    """Sets `caller_keys` for the request."""

    def __init__(self, app: ASGIApp, caller_keys: ContextVar[tuple[str, ...]]) -> None:
        self.app = app
        self._caller_keys = caller_keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        keys = []
        for name, value in scope["headers"]:
            if name == b"authorization" and (subject := token_subject(value)):
                keys.append(f"user:{subject}")
                break
        if client := scope.get("client"):
            keys.append(f"address:{client[0]}")
        reset = self._caller_keys.set(tuple(keys))
        try:
            await self.app(scope, receive, send)
        finally:
            self._caller_keys.reset(reset)
