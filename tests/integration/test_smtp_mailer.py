"""The SMTP mailer against a real SMTP server (aiosmtpd): one that accepts, one that refuses for now
(4xx) or for good (5xx), and one that is down."""

import pytest

from application.errors import MailNotSent
from application.ports.mail import MailMessage
from infrastructure.mail.smtp import SmtpMailer, SmtpSettings
from throwaway.processes import free_port
from throwaway.smtp import smtp_server

MESSAGE = MailMessage(
    "<0123456789abcdef@mail.example>",
    "ada@example.com",
    "Users & posts: reset your password",
    "Open https://app.example/reset-password?token=abc within 30 minutes.\n",
)


def mailer(port: int) -> SmtpMailer:
    return SmtpMailer(
        SmtpSettings("127.0.0.1", port, "none", "Users & posts <no-reply@mail.example>", timeout_seconds=5)
    )


async def test_an_accepting_server_gets_the_message_with_its_headers() -> None:
    with smtp_server() as server:
        await mailer(server.port).send(MESSAGE)
        (received,) = server.handler.messages
    assert received["X-Envelope-To"] == "ada@example.com"
    assert received["From"] == "Users & posts <no-reply@mail.example>"
    assert received["To"] == "ada@example.com"
    assert received["Subject"] == MESSAGE.subject
    assert received["Message-ID"] == MESSAGE.message_id
    assert received["Date"]
    body = received.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert body.decode().replace("\r\n", "\n") == MESSAGE.body  # SMTP lines end in CRLF


async def test_a_temporary_refusal_is_transient() -> None:
    with (
        smtp_server("451 4.3.0 Mailbox busy") as server,
        pytest.raises(MailNotSent) as refused,
    ):
        await mailer(server.port).send(MESSAGE)
    assert refused.value.transient
    assert "451" in str(refused.value)


async def test_a_permanent_refusal_is_not_transient() -> None:
    with smtp_server("550 5.1.1 No such mailbox") as server, pytest.raises(MailNotSent) as refused:
        await mailer(server.port).send(MESSAGE)
    assert not refused.value.transient
    assert "550" in str(refused.value)


async def test_a_server_that_is_down_is_transient() -> None:
    with pytest.raises(MailNotSent) as refused:
        await mailer(free_port()).send(MESSAGE)
    assert refused.value.transient


async def test_a_server_that_never_answers_is_transient_after_the_timeout(silent_server: str) -> None:
    host, port = silent_server.split(":")
    quick = SmtpMailer(SmtpSettings(host, int(port), "none", "no-reply@mail.example", timeout_seconds=0.3))
    with pytest.raises(MailNotSent) as refused:
        await quick.send(MESSAGE)
    assert refused.value.transient


async def test_check_reaches_an_answering_server_and_fails_on_one_that_is_down() -> None:
    with smtp_server() as server:
        await mailer(server.port).check()
    with pytest.raises(OSError):  # noqa: PT011 — whatever connecting raises
        await mailer(free_port()).check()
