"""A Mailer that keeps what it is given: for tests."""

from application.errors import MailNotSent
from application.ports.mail import MailMessage


class InMemoryMailer:
    """Records every message sent; `failures` makes the next sends raise (transient or permanent)."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.failures: list[MailNotSent] = []

    async def send(self, message: MailMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
