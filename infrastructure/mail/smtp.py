"""The SMTP Mailer, on aiosmtplib: one connection per message (mail is rare here), a bounded timeout,
and every failure sorted into "try again later" (no connection, a 4xx answer, a timeout) or "never"
(a 5xx answer)."""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

import aiosmtplib

from application.errors import MailNotSent
from application.ports.mail import MailMessage

SmtpSecurity = Literal["starttls", "tls", "none"]


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: SmtpSecurity
    sender: str
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 10.0


def email_message(message: MailMessage, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message.message_id
    mail.set_content(message.body)
    return mail


def _refusal_codes(error: aiosmtplib.SMTPException) -> list[int]:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return [refused.code for refused in error.recipients]
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return [error.code]
    return []


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.security == "tls",
            # None: upgrade when the server offers it; here the setting decides.
            start_tls=s.security == "starttls",
            username=s.username,
            password=s.password,
            timeout=s.timeout_seconds,
        )

    async def send(self, message: MailMessage) -> None:
        try:
            async with self._client() as client:
                await client.send_message(email_message(message, self._settings.sender))
        except aiosmtplib.SMTPException as error:
            codes = _refusal_codes(error)
            # Connection failures and timeouts carry no code; a 4xx is the server's "later".
            transient = not codes or all(400 <= code < 500 for code in codes)
            raise MailNotSent(f"{type(error).__name__}: {error}", transient=transient) from error
        except OSError as error:  # refused, unreachable, reset
            raise MailNotSent(f"{type(error).__name__}: {error}", transient=True) from error

    async def check(self) -> None:
        """Connect, greet (and log in, when configured), then quit: raises what fails."""
        async with self._client() as client:
            await client.noop()
