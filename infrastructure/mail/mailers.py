"""The Mailer the settings ask for."""

from email.utils import parseaddr

from application.ports.mail import Mailer
from infrastructure.mail.console import ConsoleMailer
from infrastructure.mail.smtp import SmtpMailer, SmtpSettings
from infrastructure.settings import Settings


def smtp_settings(settings: Settings) -> SmtpSettings:
    assert settings.smtp_host is not None
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_seconds=settings.smtp_timeout_seconds,
    )


def make_mailer(settings: Settings) -> Mailer:
    """SMTP when configured; the console otherwise (with mail off nothing is written to send)."""
    if settings.mail_delivery == "smtp":
        return SmtpMailer(smtp_settings(settings))
    return ConsoleMailer()


def sender_domain(mail_from: str) -> str:
    """The domain of APP_MAIL_FROM's address: the right-hand side of every Message-ID."""
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


async def check_smtp(settings: Settings) -> str:
    """Connect to the configured SMTP server, greet it and quit; `host:port` when it answers."""
    smtp = smtp_settings(settings)
    await SmtpMailer(smtp).check()
    return f"{smtp.host}:{smtp.port}"
