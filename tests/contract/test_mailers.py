"""What every Mailer adapter does with a message it can deliver: hands it on whole, Message-ID
included, and returns. (Failures are each adapter's own: SMTP's in tests/integration/test_smtp_mailer.py.)"""

import logging
from collections.abc import Callable, Iterator

import pytest

from application.ports.mail import Mailer, MailMessage
from infrastructure.mail.console import ConsoleMailer
from infrastructure.mail.memory import InMemoryMailer
from infrastructure.mail.smtp import SmtpMailer, SmtpSettings
from throwaway.smtp import smtp_server

MESSAGE = MailMessage(
    "<0123456789abcdef@mail.example>",
    "ada@example.com",
    "Users & posts: reset your password",
    "Open https://app.example/reset-password?token=abc within 30 minutes.\n",
)
# A mailer, and what it delivered as (to, subject, message id, body) tuples.
Delivered = Callable[[], list[tuple[str, str, str, str]]]


@pytest.fixture
def mailer(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[Mailer, Delivered]]:
    if request.param == "memory":
        memory = InMemoryMailer()
        yield memory, lambda: [(m.to, m.subject, m.message_id, m.body) for m in memory.sent]
    elif request.param == "console":
        caplog.set_level(logging.INFO, logger="infrastructure.mail.console")

        def logged() -> list[tuple[str, str, str, str]]:
            events = [r.getMessage() for r in caplog.records if r.name == "infrastructure.mail.console"]
            return [
                (MESSAGE.to, MESSAGE.subject, MESSAGE.message_id, MESSAGE.body)
                for event in events
                if all(
                    part in event for part in (MESSAGE.to, MESSAGE.subject, MESSAGE.message_id, MESSAGE.body)
                )
            ]

        yield ConsoleMailer(), logged
    else:
        with smtp_server() as server:
            settings = SmtpSettings(
                "127.0.0.1", server.port, "none", "no-reply@mail.example", timeout_seconds=5
            )

            def received() -> list[tuple[str, str, str, str]]:
                return [
                    (
                        m["To"],
                        m["Subject"],
                        m["Message-ID"],
                        m.get_payload(decode=True).decode().replace("\r\n", "\n"),  # type: ignore[union-attr]
                    )
                    for m in server.handler.messages
                ]

            yield SmtpMailer(settings), received


async def test_a_message_is_delivered_whole(mailer: tuple[Mailer, Delivered]) -> None:
    send, delivered = mailer
    assert delivered() == []
    await send.send(MESSAGE)
    assert delivered() == [(MESSAGE.to, MESSAGE.subject, MESSAGE.message_id, MESSAGE.body)]
