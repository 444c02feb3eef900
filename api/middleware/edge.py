"""The HTTP edge: the one pure ASGI middleware every HTTP request crosses on its way in and out, made of
named steps. On the way in: the request id, the Host guard, the body size limit. On the way out: the
security headers, X-Request-ID and those a layer outside asks for (RESPONSE_HEADERS) on the answer,
then the access event and metrics. Around the app: when it fails before answering, one error event and
a 500 problem.

One layer rather than one middleware per concern: each layer costs a call on the way in and a wrapped
`send` per message on the way out, on every request (docs/decisions/0003-one-pure-asgi-edge.md). The
steps' own rules live in their modules (host_guard, body_limit, security_headers,
api.observability.request_ids); the reporting is handed in (`reporter`, RequestObserver)."""

import logging
from collections.abc import Iterable, Sequence
from time import perf_counter
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.body_limit import MAX_BODY_BYTES, BodySizeLimit
from api.middleware.host_guard import HostGuard
from api.middleware.security_headers import security_headers
from api.observability.request_ids import REQUEST_ID, REQUEST_ID_HEADER, is_sane_request_id, new_request_id
from api.problems.response import problem
from api.problems.types import UNEXPECTED

logger = logging.getLogger(__name__)

_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("latin-1")
Headers = list[tuple[bytes, bytes]]
# The scope's key for the headers a layer outside the edge (api.middleware.tracing's server span) has
# the edge add to the response with its own: one wrapped `send` for them all.
RESPONSE_HEADERS = "users_posts.response_headers"


class RequestReporter(Protocol):
    """What the edge tells of each request (api.observability.requests.RequestObserver)."""

    def started(self) -> bool: ...

    def finished(self, scope: Scope, status: int, elapsed: float, metrics: bool) -> None: ...

    def unhandled(self, scope: Scope, error: Exception) -> None: ...


class _Head:
    """What the edge reads of the request's headers, in one pass: the first Host and X-Request-ID (as
    Starlette's Headers.get reads them), the last Content-Length, whether any Authorization or Cookie
    (a cookie session's credentials) is sent."""

    __slots__ = ("content_length", "credentials", "host", "request_id")

    def __init__(self, headers: Iterable[tuple[bytes, bytes]]) -> None:
        self.host: str | None = None
        self.request_id: str | None = None
        self.content_length: bytes | None = None
        self.credentials = False
        for name, value in headers:
            if name == b"host":
                if self.host is None:
                    self.host = value.decode("latin-1")
            elif name == _REQUEST_ID:
                if self.request_id is None:
                    self.request_id = value.decode("latin-1")
            elif name == b"content-length":
                self.content_length = value
            elif name == b"authorization" or name == b"cookie":
                self.credentials = True


def assign_request_id(scope: Scope, sent: str | None) -> str:
    """The request's id: the client's X-Request-ID when sane, else a fresh one, which then replaces the
    client's in the request's headers too. Set in REQUEST_ID for the logs and problem bodies."""
    if sent and is_sane_request_id(sent):
        request_id = sent
    else:
        request_id = new_request_id()
        scope["headers"] = _with_request_id(scope["headers"], request_id)
    REQUEST_ID.set(request_id)
    if sent and request_id != sent:
        logger.warning(
            "Generated new request ID (%s), since request header value failed validation", request_id
        )
    return request_id


def _with_request_id(headers: Iterable[tuple[bytes, bytes]], request_id: str) -> Headers:
    """`headers` with one X-Request-ID, `request_id`: in place of the first one sent, or last."""
    value = request_id.encode("latin-1")
    replaced: Headers = []
    found = False
    for name, old in headers:
        if name == _REQUEST_ID:
            if not found:
                replaced.append((name, value))
                found = True
        else:
            replaced.append((name, old))
    if not found:
        replaced.append((_REQUEST_ID, value))
    return replaced


class _Reply:
    """`send`, adding the edge's headers to the response's start and noting its status."""

    __slots__ = ("headers", "send", "started", "status")

    def __init__(self, send: Send, headers: Headers) -> None:
        self.send = send
        self.headers = headers
        self.status = 500  # if the app fails before it answers
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.started = True
            message["headers"] = [*message.get("headers", ()), *self.headers]
        await self.send(message)


class Edge:
    """Add it last (outermost of the app's middleware); only a CORS middleware, which must answer
    preflights before anything else, goes outside it. `with_security_headers=False` only for the
    benchmark measuring what they cost."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        reporter: RequestReporter,
        allowed_hosts: Sequence[str],
        max_body_bytes: int = MAX_BODY_BYTES,
        with_security_headers: bool = True,
    ) -> None:
        self.app = app
        self.reporter = reporter
        self.host_guard = HostGuard(allowed_hosts)
        self.body_limit = BodySizeLimit(max_body_bytes)
        self.with_security_headers = with_security_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan (settings may be invalid: it must report it)
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        head = _Head(scope["headers"])
        request_id = assign_request_id(scope, head.request_id)
        extra = security_headers(scope["path"], head.credentials) if self.with_security_headers else ()
        outer = scope.get(RESPONSE_HEADERS, ())
        reply = _Reply(send, [*extra, (_REQUEST_ID, request_id.encode("latin-1")), *outer])
        metrics = self.reporter.started()
        try:
            await self._answer(scope, receive, reply, head)
        finally:
            self.reporter.finished(scope, reply.status, perf_counter() - start, metrics)

    async def _answer(self, scope: Scope, receive: Receive, reply: _Reply, head: _Head) -> None:
        """The guards' refusal or the app's answer; a 500 problem when the app fails before it starts
        one."""
        try:
            refusal = self.host_guard.refusal(scope, head.host) or self.body_limit.refusal(
                head.content_length, scope["path"]
            )
            if refusal is not None:
                await refusal(scope, receive, reply)
                return
            await self.app(scope, self.body_limit.limit(receive), reply)
        except Exception as error:
            self.reporter.unhandled(scope, error)
            if reply.started:  # too late for a problem response: let the server close the connection
                raise
            await problem(UNEXPECTED, instance=scope["path"])(scope, receive, reply)
