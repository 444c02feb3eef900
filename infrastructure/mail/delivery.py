"""Mail through the outbox's delivery core (infrastructure.outbox.delivery): each serving process sends
the due messages of `mail_outbox` through the Mailer, one after the other (mail is rare, and each
message opens its own SMTP connection). Every attempt of a message carries the same Message-ID; a 5xx
refusal gives it up at once. Housekeeping also deletes the one-time tokens that expired."""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from opentelemetry.trace import SpanKind
from prometheus_client import Counter

from application.ports.clock import Clock
from application.ports.mail import Mailer, MailMessage
from infrastructure.mail.queue import ExpiringTokens, MailQueue, QueuedMail
from infrastructure.outbox.delivery import (
    DeliveryMetrics,
    DeliveryPolicy,
    OutboxDelivery,
    SpanOf,
    Transaction,
)
from infrastructure.outbox.signal import DeliverySignal

logger = logging.getLogger(__name__)

MAIL_SENT = Counter("mail_sent", "Messages of the outbox sent")
MAIL_RETRIED = Counter("mail_retried", "Attempts to send a message that failed and will be tried again")
MAIL_GIVEN_UP = Counter("mail_given_up", "Messages of the outbox given up: refused, or too many attempts")


class DeliveryUnitOfWork(Transaction, Protocol):
    @property
    def outbox(self) -> MailQueue: ...

    @property
    def tokens(self) -> ExpiringTokens: ...


def message_id(key: str, sender_domain: str) -> str:
    return f"<{key}@{sender_domain}>"


class MailDelivery(OutboxDelivery[DeliveryUnitOfWork, QueuedMail]):
    noun = "mail"
    logger = logger
    metrics = DeliveryMetrics(MAIL_SENT, MAIL_RETRIED, MAIL_GIVEN_UP)

    def __init__(
        self,
        new_uow: Callable[[], DeliveryUnitOfWork],
        mailer: Mailer,
        clock: Clock,
        signal: DeliverySignal,
        policy: DeliveryPolicy,
        sender_domain: str,
    ) -> None:
        super().__init__(new_uow, clock, signal, policy)
        self._mailer = mailer
        self._sender_domain = sender_domain

    def queue(self, uow: DeliveryUnitOfWork) -> MailQueue:
        return uow.outbox

    def span_of(self, row: QueuedMail) -> SpanOf:
        return "send mail", SpanKind.CLIENT, {"app.mail.message_id": message_id(row.key, self._sender_domain)}

    async def send(self, row: QueuedMail) -> None:
        await self._mailer.send(
            MailMessage(message_id(row.key, self._sender_domain), row.to, row.subject, row.body)
        )

    async def keep_house(self) -> tuple[int, int]:
        """Delete the one-time tokens that expired and the sent or failed messages older than
        `keep_days`; how many of each."""
        now = self._clock.now()
        async with self._new_uow() as uow:
            tokens = await uow.tokens.delete_expired(now)
            mails = await uow.outbox.prune(now - timedelta(days=self._policy.keep_days))
            await uow.commit()
        if tokens or mails:
            logger.info("housekeeping: %d expired token(s) and %d old message(s) deleted", tokens, mails)
        return tokens, mails
