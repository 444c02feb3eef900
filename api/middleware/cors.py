"""CORS for browser apps on other origins (APP_CORS_ORIGINS): a pure ASGI middleware.

- A request without `Origin` (same-origin, or not from a browser) passes straight through.
- A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered here, before
  any route, database or rate limit: 204 with what the API allows for a listed origin, a 403 problem
  without any CORS header for another.
- Any other request from a listed origin gets `Access-Control-Allow-Origin` and the exposed headers on
  its answer; from another origin, no CORS header at all.
- Credentials (`Access-Control-Allow-Credentials: true`, for cookie sessions) only for an origin listed
  exactly, never for `*`: a browser then sends the session's cookies and lets the app read the answer.

Nothing is kept per origin, so any number of origins costs no memory. With a list of origins every
answer carries `Vary: Origin`, so that a shared cache never hands one origin's answer to another."""

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems.response import problem
from api.problems.types import ORIGIN_NOT_ALLOWED

ALLOWED_METHODS = b"GET, HEAD, POST, PATCH, DELETE"
# traceparent and tracestate: a traced browser app continues its trace here, and reads the answer's.
ALLOWED_HEADERS = (
    b"Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-ID, X-CSRF-Token, "
    b"traceparent, tracestate"
)
EXPOSED_HEADERS = b"Link, X-Request-ID, ETag, Retry-After, Location, Idempotent-Replayed, traceparent"
_WITH_CREDENTIALS = (b"access-control-allow-credentials", b"true")
_VARY_ORIGIN = (b"vary", b"origin")
_PREFLIGHT_VARY = (b"vary", b"origin, access-control-request-method, access-control-request-headers")


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """Which origins may call the API from a browser, and how long a browser may keep a preflight."""

    origins: frozenset[bytes]
    any_origin: bool
    max_age: int

    @classmethod
    def of(cls, origins: list[str], max_age: int) -> "CorsPolicy":
        # Browsers send the scheme and host lower-cased (RFC 6454 serialisation).
        listed = frozenset(origin.lower().encode("latin-1") for origin in origins if origin != "*")
        return cls(listed, "*" in origins, max_age)

    @property
    def enabled(self) -> bool:
        return self.any_origin or bool(self.origins)

    def allows(self, origin: bytes) -> bool:
        return self.any_origin or origin in self.origins

    def allowed_origin(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        """The headers naming who may read the answer, for an allowed `origin`: itself with credentials
        when listed, else `*` without (browsers refuse credentials with `*`)."""
        if origin in self.origins:
            return [(b"access-control-allow-origin", origin), _WITH_CREDENTIALS]
        return [(b"access-control-allow-origin", b"*")]


class Cors:
    """CORS by `policy`; with no origin configured, every request passes straight through."""

    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self.app = app
        self._policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policy
        if not policy.enabled:
            await self.app(scope, receive, send)
            return
        origin = preflight_method = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                preflight_method = value
        if origin is None and not policy.origins:  # nothing varies by Origin: nothing to add
            await self.app(scope, receive, send)
            return
        if origin is not None and preflight_method is not None and scope["method"] == "OPTIONS":
            await self._preflight(policy, origin, scope, receive, send)
            return
        extra = [_VARY_ORIGIN] if policy.origins else []
        if origin is not None and policy.allows(origin):
            extra += [*policy.allowed_origin(origin), (b"access-control-expose-headers", EXPOSED_HEADERS)]

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _preflight(
        policy: CorsPolicy, origin: bytes, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if not policy.allows(origin):
            refused = problem(ORIGIN_NOT_ALLOWED, instance=scope["path"])
            refused.raw_headers.append(_PREFLIGHT_VARY)
            await refused(scope, receive, send)
            return
        # The browser compares the method and headers it wants with these lists itself.
        headers = [
            *policy.allowed_origin(origin),
            (b"access-control-allow-methods", ALLOWED_METHODS),
            (b"access-control-allow-headers", ALLOWED_HEADERS),
            (b"access-control-max-age", str(policy.max_age).encode()),
            _PREFLIGHT_VARY,
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
