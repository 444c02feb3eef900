"""The HTTP server `users-posts serve` runs: uvicorn, with what it lacks against slow and hostile clients.

uvicorn bounds idle keep-alive (`timeout_keep_alive`) and concurrent connections (`limit_concurrency`,
answered with a 503) but not the request head: a client may send nothing, or a header a byte a minute,
or megabytes of headers, and keep its connection and buffers for as long as it likes. The protocol
below adds a deadline for the head and a cap on its size, and is what `serve` passes to uvicorn."""

import asyncio
import functools
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.observability.uvicorn_logging import uvicorn_logging
from infrastructure.settings import Settings

APP = "api.app:create_served_app"  # an app factory: each worker builds its app

HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\n"
    b"connection: close\r\n\r\n"
    b"Request header fields too large"
)


def uvicorn_options(settings: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    """Everything `uvicorn.run` is given: the one place the server's behaviour is set."""
    return {
        "app": APP,
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        # A partial of a module-level class: pickled by reference into each worker process, with the
        # limits of the settings already loaded.
        "http": cast(
            type[asyncio.Protocol],
            functools.partial(
                GuardedHttpProtocol,
                head_timeout=settings.server_header_timeout_seconds,
                head_max_bytes=settings.server_max_header_bytes,
            ),
        ),
        "timeout_keep_alive": settings.server_keep_alive_seconds,
        # uvicorn counts the connection asking: one more lets `server_max_connections` be served.
        "limit_concurrency": settings.server_max_connections + 1,
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "server_header": False,
        "date_header": True,
        # The app's formatter for every line; its own access event, not uvicorn's.
        **uvicorn_logging(settings),
    }


class _HeadTooLarge(Exception):
    pass


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus: the request head (request line and headers) must arrive
    within a deadline, counted from the connection or from its first byte on a kept-alive connection,
    or the connection is closed; a head over the size cap gets a 431 and the connection is closed,
    before more than one read beyond the cap is buffered."""

    def __init__(self, *args: Any, head_timeout: float, head_max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout, self._head_max_bytes = head_timeout, head_max_bytes
        self._reading_head = True
        self._head_bytes = 0  # bytes read while the head is incomplete
        self._head_fields = 0  # bytes of the request target and header fields parsed so far
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_too_large = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._start_head_deadline()
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > self._head_max_bytes and not self.transport.is_closing():
            self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_fields = 0

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)  # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._head_bytes = 0
        self._stop_head_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head = True  # what comes next is the next request's head

    def send_400_response(self, msg: str) -> None:
        # The parser reports an exception raised in a callback (_HeadTooLarge) as a malformed request.
        if self._head_too_large:
            self._refuse_head()
        else:
            super().send_400_response(msg)

    def _count_head(self, size: int) -> None:
        self._head_fields += size
        if self._head_fields > self._head_max_bytes:
            self._head_too_large = True
            raise _HeadTooLarge

    def _refuse_head(self) -> None:
        self._stop_head_deadline()
        self.logger.warning("Request head over %d bytes: answered 431.", self._head_max_bytes)
        self.transport.write(HEAD_TOO_LARGE)
        self.transport.close()

    def _start_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self._head_timeout, self._head_timed_out)

    def _stop_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self._reading_head and not self.transport.is_closing():
            self.logger.debug("Request head not received within %s s: connection closed.", self._head_timeout)
            self.transport.close()
