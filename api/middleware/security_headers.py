"""Response headers every answer carries: pure ASGI middleware, so that the cost per request is a header
lookup and a list append."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.paths import TOKEN_PATH

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
]
# RFC 6749 §5.1 for the token response; any answer to a request carrying credentials may hold
# private data and must not be kept by a cache.
_PRIVATE = [*_ALWAYS, (b"cache-control", b"no-store")]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = scope["path"] == TOKEN_PATH or any(name == b"authorization" for name, _ in scope["headers"])
        extra = _PRIVATE if private else _ALWAYS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
