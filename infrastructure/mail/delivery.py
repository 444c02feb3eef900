"""The delivery loop: each serving process sends the outbox's due messages through the Mailer.

A batch is claimed in a short transaction of its own (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so
instances never take the same rows; on SQLite one process serves), then each message is sent and its
row marked. A message that fails for a reason that may pass (SMTP down, a 4xx answer) is tried again
with exponential backoff, up to `max_attempts`; then, or at once on a permanent refusal (5xx), it is
given up with an error event and a metric. Delivery is at-least-once: a process killed between sending
and marking sends that message again after the claim's lease; its Message-ID stays the same.

Idle, the loop costs one small query per poll interval; a unit of work of this process that commits
a message wakes it at once (MailSignal)."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from prometheus_client import Counter

from application.errors import MailNotSent, StorageUnavailable
from application.ports.clock import Clock
from application.ports.mail import Mailer, MailMessage
from infrastructure.mail.queue import ExpiringTokens, MailQueue, QueuedMail
from infrastructure.mail.signal import MailSignal

logger = logging.getLogger(__name__)

MAIL_SENT = Counter("mail_sent", "Messages of the outbox sent")
MAIL_RETRIED = Counter("mail_retried", "Attempts to send a message that failed and will be tried again")
MAIL_GIVEN_UP = Counter("mail_given_up", "Messages of the outbox given up: refused, or too many attempts")


class DeliveryUnitOfWork(Protocol):
    @property
    def outbox(self) -> MailQueue: ...

    @property
    def tokens(self) -> ExpiringTokens: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    poll_seconds: float = 5.0
    batch_size: int = 20
    max_attempts: int = 10
    first_retry_seconds: float = 5.0
    max_retry_seconds: float = 900.0
    # Longer than any send takes (a few SMTP exchanges, each within the timeout): a claim is not taken
    # over while it is being sent, and is once its process has died.
    lease_seconds: float = 60.0
    # Sent and failed messages are kept this long for operators, then deleted with the expired tokens,
    # at most once per `housekeeping_seconds` per process: no job for the operator to schedule.
    keep_days: float = 30.0
    housekeeping_seconds: float = 3600.0

    def backoff(self, attempts: int) -> timedelta:
        """How long after the `attempts`-th failed attempt to try again."""
        return timedelta(seconds=min(self.first_retry_seconds * 2 ** (attempts - 1), self.max_retry_seconds))


def message_id(key: str, sender_domain: str) -> str:
    return f"<{key}@{sender_domain}>"


class MailDelivery:
    def __init__(
        self,
        new_uow: Callable[[], DeliveryUnitOfWork],
        mailer: Mailer,
        clock: Clock,
        signal: MailSignal,
        policy: DeliveryPolicy,
        sender_domain: str,
    ) -> None:
        self._new_uow = new_uow
        self._mailer = mailer
        self._clock = clock
        self._signal = signal
        self._policy = policy
        self._sender_domain = sender_domain
        self._task: asyncio.Task[None] | None = None
        self._next_housekeeping: datetime | None = None

    async def deliver_due(self) -> int:
        """Claim and send one batch of due messages; how many were claimed."""
        now = self._clock.now()
        lease_until = now + timedelta(seconds=self._policy.lease_seconds)
        async with self._new_uow() as uow:
            batch = await uow.outbox.claim(now, lease_until, self._policy.batch_size)
            await uow.commit()
        for mail in batch:
            await self._deliver(mail)
        return len(batch)

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

    async def _keep_house_when_due(self) -> None:
        now = self._clock.now()
        if self._next_housekeeping is None or now >= self._next_housekeeping:
            self._next_housekeeping = now + timedelta(seconds=self._policy.housekeeping_seconds)
            await self.keep_house()

    async def _deliver(self, mail: QueuedMail) -> None:
        message = MailMessage(message_id(mail.key, self._sender_domain), mail.to, mail.subject, mail.body)
        try:
            await self._mailer.send(message)
        except Exception as error:
            # An unexpected error of the adapter is taken as passing: bounded by max_attempts anyway.
            transient = error.transient if isinstance(error, MailNotSent) else True
            await self._failed(mail, f"{error}"[:500] or type(error).__name__, transient=transient)
            return
        async with self._new_uow() as uow:
            await uow.outbox.mark_sent(mail.id, self._clock.now())
            await uow.commit()
        MAIL_SENT.inc()

    async def _failed(self, mail: QueuedMail, reason: str, *, transient: bool) -> None:
        async with self._new_uow() as uow:
            if transient and mail.attempts < self._policy.max_attempts:
                retry_at = self._clock.now() + self._policy.backoff(mail.attempts)
                await uow.outbox.retry_at(mail.id, retry_at, reason)
                await uow.commit()
                MAIL_RETRIED.inc()
                logger.warning(
                    "mail %s: attempt %d failed (%s); trying again at %s",
                    mail.id,
                    mail.attempts,
                    reason,
                    retry_at.isoformat(),
                )
                return
            await uow.outbox.give_up(mail.id, reason)
            await uow.commit()
        MAIL_GIVEN_UP.inc()
        logger.error(
            "mail %s given up after %d attempt(s): %s (%s)",
            mail.id,
            mail.attempts,
            reason,
            "too many attempts" if transient else "refused",
        )

    async def run(self) -> None:
        """Deliver until cancelled: a full batch is followed at once by the next one; otherwise wait for
        a wake-up or the poll interval."""
        while True:
            try:
                await self._keep_house_when_due()
                claimed = await self.deliver_due()
            except StorageUnavailable as error:
                logger.warning("mail delivery: the database cannot be reached (%r)", error.__cause__)
                claimed = 0
            except Exception:
                logger.exception("mail delivery failed; trying again at the next poll")
                claimed = 0
            if claimed < self._policy.batch_size:
                await self._signal.wait(self._policy.poll_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="mail-delivery")

    async def stop(self) -> None:
        """Stop the loop. A message being sent is sent again after its lease, by whichever process
        claims it then."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
