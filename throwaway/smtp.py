"""A real SMTP server for tests and benchmarks (aiosmtpd, in a thread of its own): it records what it
accepts, or answers every message with a chosen refusal."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from throwaway.processes import free_port


@dataclass
class RecordingHandler:
    """Keeps every accepted message; `refusal` (e.g. "451 4.3.0 try later") answers DATA instead."""

    refusal: str | None = None
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusal is not None:
            return self.refusal
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    handler: RecordingHandler
    controller: Controller

    def stop(self) -> None:
        self.controller.stop()


@contextmanager
def smtp_server(refusal: str | None = None, port: int | None = None) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 (a free port unless given), stopped at the end."""
    handler = RecordingHandler(refusal)
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    server = SmtpServer(controller.port, handler, controller)
    try:
        yield server
    finally:
        controller.stop(no_assert=True)
