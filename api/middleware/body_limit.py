"""Request body size limit, as a step of the edge: an oversized body is refused before it is read into
memory, whether or not it announces its length."""

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Message, Receive

from api.problems.response import problem
from api.problems.types import BODY_TOO_LARGE
from domain.posts import CONTENT_MAX_LENGTH

# The largest valid body is a post of CONTENT_MAX_LENGTH characters, each escaped as \uXXXX (6 bytes).
MAX_BODY_BYTES = 64 * 1024 + 6 * CONTENT_MAX_LENGTH


class BodySizeLimit:
    __slots__ = ("detail", "max_bytes")

    def __init__(self, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.max_bytes = max_bytes
        self.detail = f"The request body exceeds {max_bytes} bytes"

    def refusal(self, content_length: bytes | None, path: str) -> Response | None:
        """The 413 answer when the declared Content-Length is too large (or not a number), else None."""
        declared = content_length
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return problem(BODY_TOO_LARGE, detail=self.detail, instance=path, headers={"Connection": "close"})
        return None

    def limit(self, receive: Receive) -> Receive:
        """`receive`, raising a 413 HTTPException (answered by the app's error handlers) once the body
        read exceeds the limit: a streamed body without Content-Length is counted as it arrives."""
        received = 0
        max_bytes, detail = self.max_bytes, self.detail

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise HTTPException(413, detail, headers={"Connection": "close"})
            return message

        return limited_receive
