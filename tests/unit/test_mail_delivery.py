"""The delivery loop on the in-memory outbox and mailer: sends due mail once, retries what may pass
with backoff, gives up after a bounded number of attempts, and never sends what was rolled back."""

import asyncio
import logging

import pytest

from application.errors import MailNotSent
from application.ports.mail import MailMessage, OutgoingMail
from infrastructure.mail.delivery import MAIL_GIVEN_UP, MailDelivery
from infrastructure.mail.memory import InMemoryMailer
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.outbox.delivery import DeliveryPolicy
from infrastructure.outbox.queue import OutboxStatus
from infrastructure.outbox.signal import DeliverySignal
from tests.fakes import FixedClock

MAIL = OutgoingMail("ada@example.com", "Hello", "A link: https://app.example/x?token=abc")
POLICY = DeliveryPolicy(poll_seconds=60, max_attempts=3, first_retry_seconds=10, max_retry_seconds=15)


@pytest.fixture
def mailer() -> InMemoryMailer:
    return InMemoryMailer()


@pytest.fixture
def delivery(uow_factory, mailer: InMemoryMailer, clock: FixedClock) -> MailDelivery:
    return MailDelivery(uow_factory, mailer, clock, DeliverySignal(), POLICY, "mail.example")


async def queue(uow_factory, clock: FixedClock, *mails: OutgoingMail) -> None:
    async with uow_factory() as uow:
        for mail in mails:
            await uow.outbox.add(mail, clock.now())
        await uow.commit()


def status(store: MemoryStore, mail_id: int = 1) -> tuple[OutboxStatus, int]:
    record = store.outbox[mail_id]
    return record.status, record.attempts


async def test_due_mail_is_sent_once_with_a_message_id_and_its_body_is_not_kept(
    uow_factory, delivery: MailDelivery, mailer: InMemoryMailer, clock: FixedClock, store: MemoryStore
) -> None:
    await queue(uow_factory, clock, MAIL, OutgoingMail("bob@example.com", "Hi", "Bob's"))

    assert await delivery.deliver_due() == 2
    assert await delivery.deliver_due() == 0

    assert [(m.to, m.subject, m.body) for m in mailer.sent] == [
        ("ada@example.com", "Hello", MAIL.body),
        ("bob@example.com", "Hi", "Bob's"),
    ]
    first, second = (m.message_id for m in mailer.sent)
    assert first.startswith("<") and first.endswith("@mail.example>")  # noqa: PT018
    assert first != second
    assert status(store) == (OutboxStatus.SENT, 1)
    assert store.outbox[1].mail.body == ""


async def test_a_rolled_back_change_sends_nothing(
    uow_factory, delivery: MailDelivery, mailer: InMemoryMailer, clock: FixedClock
) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.outbox.add(MAIL, clock.now())
            raise RuntimeError("the change failed")
    assert await delivery.deliver_due() == 0
    assert mailer.sent == []


async def test_a_passing_failure_is_retried_with_backoff_under_the_same_message_id(
    uow_factory, delivery: MailDelivery, mailer: InMemoryMailer, clock: FixedClock, store: MemoryStore
) -> None:
    await queue(uow_factory, clock, MAIL)
    mailer.failures = [
        MailNotSent("connection refused", transient=True),
        MailNotSent("451 try later", transient=True),
    ]
    assert await delivery.deliver_due() == 1
    assert status(store) == (OutboxStatus.PENDING, 1)
    assert store.outbox[1].last_error == "connection refused"

    clock.advance(seconds=9)
    assert await delivery.deliver_due() == 0  # not due before the backoff
    clock.advance(seconds=1)
    assert await delivery.deliver_due() == 1  # second attempt fails too: next in 20 s, capped at 15
    clock.advance(seconds=14)
    assert await delivery.deliver_due() == 0
    clock.advance(seconds=1)
    assert await delivery.deliver_due() == 1

    (sent,) = mailer.sent
    assert status(store) == (OutboxStatus.SENT, 3)
    assert sent.message_id == f"<{store.outbox[1].key}@mail.example>"


async def test_it_gives_up_after_the_last_attempt_with_an_error_event_and_a_metric(
    uow_factory,
    delivery: MailDelivery,
    mailer: InMemoryMailer,
    clock: FixedClock,
    store: MemoryStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await queue(uow_factory, clock, MAIL)
    mailer.failures = [MailNotSent("connection refused", transient=True) for _ in range(5)]
    given_up = MAIL_GIVEN_UP._value.get()
    with caplog.at_level(logging.ERROR, logger="infrastructure.mail.delivery"):
        for _ in range(3):
            assert await delivery.deliver_due() == 1
            clock.advance(minutes=1)
        assert await delivery.deliver_due() == 0

    assert status(store) == (OutboxStatus.FAILED, 3)
    assert store.outbox[1].mail.body == ""
    assert mailer.sent == []
    assert MAIL_GIVEN_UP._value.get() == given_up + 1
    (event,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "given up after 3 attempt(s)" in event.getMessage()


async def test_a_permanent_refusal_is_given_up_at_once(
    uow_factory, delivery: MailDelivery, mailer: InMemoryMailer, clock: FixedClock, store: MemoryStore
) -> None:
    await queue(uow_factory, clock, MAIL)
    mailer.failures = [MailNotSent("550 no such mailbox", transient=False)]
    assert await delivery.deliver_due() == 1
    clock.advance(hours=1)
    assert await delivery.deliver_due() == 0
    assert status(store) == (OutboxStatus.FAILED, 1)


async def test_a_claimed_message_is_not_claimed_again_until_its_lease_ends(
    uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    """What a process killed mid-send leaves: the message goes out again after the lease."""
    await queue(uow_factory, clock, MAIL)
    async with uow_factory() as uow:
        (claimed,) = await uow.outbox.claim(clock.now(), clock.now().replace(minute=2), 10)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.claim(clock.now(), clock.now(), 10) == []
    clock.advance(minutes=2)
    async with uow_factory() as uow:
        (again,) = await uow.outbox.claim(clock.now(), clock.now(), 10)
    assert (again.key, again.attempts) == (claimed.key, 2)


class SignallingMailer(InMemoryMailer):
    def __init__(self) -> None:
        super().__init__()
        self.delivered = asyncio.Event()

    async def send(self, message: MailMessage) -> None:
        await super().send(message)
        self.delivered.set()


async def test_the_loop_wakes_when_signalled_and_stops(clock: FixedClock, store: MemoryStore) -> None:
    signal, mailer = DeliverySignal(), SignallingMailer()
    delivery = MailDelivery(lambda: InMemoryUnitOfWork(store), mailer, clock, signal, POLICY, "mail.example")
    delivery.start()
    try:
        await asyncio.sleep(0)  # let its first (empty) poll run
        async with InMemoryUnitOfWork(store) as uow:
            await uow.outbox.add(MAIL, clock.now())
            await uow.commit()
        signal.notify()  # what a SQL unit of work does when it commits mail
        async with asyncio.timeout(5):  # the poll interval is a minute: only the wake-up sends it
            await mailer.delivered.wait()
    finally:
        await delivery.stop()
    assert len(mailer.sent) == 1
