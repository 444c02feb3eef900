"""Request body size limit: a pure ASGI middleware, so an oversized body is refused before it is read
into memory, whether or not it announces its length."""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems.response import problem
from api.problems.types import BODY_TOO_LARGE
from domain.posts import CONTENT_MAX_LENGTH

# The largest valid body is a post of CONTENT_MAX_LENGTH characters, each escaped as \uXXXX (6 bytes).
MAX_BODY_BYTES = 64 * 1024 + 6 * CONTENT_MAX_LENGTH


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.detail = f"The request body exceeds {max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = problem(
                BODY_TOO_LARGE, detail=self.detail, instance=scope["path"], headers={"Connection": "close"}
            )
            await response(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:  # a streamed body without Content-Length
                raise HTTPException(413, self.detail, headers={"Connection": "close"})
            return message

        await self.app(scope, limited_receive, send)
