"""The development Mailer: each message, with its link, becomes a log event. `make run` works end to
end with no mail server; production refuses it (settings)."""

import logging

from application.ports.mail import MailMessage

logger = logging.getLogger(__name__)


class ConsoleMailer:
    async def send(self, message: MailMessage) -> None:
        logger.info(
            "mail to %s (not sent: APP_MAIL_BACKEND=console)\nSubject: %s\nMessage-ID: %s\n\n%s",
            message.to,
            message.subject,
            message.message_id,
            message.body,
        )
