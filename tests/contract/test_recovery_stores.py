"""What every one-time token store and mail outbox adapter does (memory, SQLite, PostgreSQL): tokens
found and redeemed by hash once, while live; mail claimed once, in order, with a lease; nothing of a
rolled-back unit of work; and two deliverers at once never send one message twice."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from application.ports.mail import MailMessage, OutgoingMail
from application.ports.recovery import OneTimeToken, TokenPurpose
from application.ports.units_of_work import UnitOfWork
from infrastructure.mail.delivery import MailDelivery
from infrastructure.mail.memory import InMemoryMailer
from infrastructure.mail.queue import MailQueue
from infrastructure.outbox.delivery import DeliveryPolicy
from infrastructure.outbox.queue import OutboxStatus
from infrastructure.outbox.signal import DeliverySignal
from tests.contract.stored import UowFactory, add_users
from tests.factories import id_of
from tests.fakes import FixedClock

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
RESET, VERIFY = TokenPurpose.PASSWORD_RESET, TokenPurpose.EMAIL_VERIFICATION


def queue(uow: UnitOfWork) -> MailQueue:
    """The delivery side of the unit of work's outbox (every adapter's outbox is both)."""
    return cast(MailQueue, uow.outbox)


def token(user_id: int, name: str = "a", purpose: TokenPurpose = RESET, minutes: int = 30) -> OneTimeToken:
    return OneTimeToken(name * 64, user_id, purpose, "user@example.com", NOW + timedelta(minutes=minutes))


async def add_tokens(uow_factory: UowFactory, *tokens: OneTimeToken) -> None:
    async with uow_factory() as uow:
        for each in tokens:
            await uow.tokens.add(each)
        await uow.commit()


async def stored_token(uow_factory: UowFactory) -> OneTimeToken:
    """A live password-reset token ("a" * 64) of a new stored user."""
    (user,) = await add_users(uow_factory, 1)
    stored = token(id_of(user))
    await add_tokens(uow_factory, stored)
    return stored


async def test_a_token_is_found_by_hash_and_purpose_while_live(uow_factory: UowFactory) -> None:
    stored = await stored_token(uow_factory)
    async with uow_factory() as uow:
        assert await uow.tokens.find(stored.token_hash, RESET, NOW) == stored
        assert await uow.tokens.find(stored.token_hash, VERIFY, NOW) is None
        assert await uow.tokens.find("b" * 64, RESET, NOW) is None
        assert await uow.tokens.find(stored.token_hash, RESET, NOW + timedelta(minutes=30)) is None


async def test_a_token_is_consumed_once(uow_factory: UowFactory) -> None:
    stored = await stored_token(uow_factory)
    async with uow_factory() as uow:
        assert await uow.tokens.consume(stored.token_hash, VERIFY, NOW) is None
        assert await uow.tokens.consume(stored.token_hash, RESET, NOW) == stored
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.tokens.consume(stored.token_hash, RESET, NOW) is None


async def test_an_expired_token_is_not_consumed(uow_factory: UowFactory) -> None:
    stored = await stored_token(uow_factory)
    async with uow_factory() as uow:
        assert await uow.tokens.consume(stored.token_hash, RESET, stored.expires_at) is None


async def test_a_consumption_rolled_back_leaves_the_token(uow_factory: UowFactory) -> None:
    stored = await stored_token(uow_factory)
    async with uow_factory() as uow:
        assert await uow.tokens.consume(stored.token_hash, RESET, NOW) == stored
    async with uow_factory() as uow:
        assert await uow.tokens.find(stored.token_hash, RESET, NOW) == stored


async def test_revoking_ends_the_users_tokens_of_one_purpose(uow_factory: UowFactory) -> None:
    ada, bob = await add_users(uow_factory, 2)
    await add_tokens(
        uow_factory, token(id_of(ada), "a"), token(id_of(ada), "b", VERIFY), token(id_of(bob), "c")
    )
    async with uow_factory() as uow:
        await uow.tokens.revoke(id_of(ada), RESET)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.tokens.find("a" * 64, RESET, NOW) is None
        assert await uow.tokens.find("b" * 64, VERIFY, NOW) is not None
        assert await uow.tokens.find("c" * 64, RESET, NOW) is not None


async def test_deleting_the_user_deletes_their_tokens(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    await add_tokens(uow_factory, token(id_of(user)))
    async with uow_factory() as uow:
        await uow.users.delete(id_of(user))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.tokens.find("a" * 64, RESET, NOW) is None


async def test_of_two_concurrent_redemptions_exactly_one_gets_the_token(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    await add_tokens(uow_factory, token(id_of(user)))

    async def redeem() -> OneTimeToken | None:
        async with uow_factory() as uow:
            redeemed = await uow.tokens.consume("a" * 64, RESET, NOW)
            await asyncio.sleep(0)  # a yield: the other redemption runs meanwhile where it can
            await uow.commit()
        return redeemed

    results = await asyncio.gather(redeem(), redeem())
    assert sorted(result is None for result in results) == [False, True]


def mail(n: int) -> OutgoingMail:
    return OutgoingMail(f"user{n}@example.com", f"Subject {n}", f"Body {n}")


async def add_mail(uow_factory: UowFactory, count: int, now: datetime = NOW) -> None:
    async with uow_factory() as uow:
        for n in range(count):
            await uow.outbox.add(mail(n), now)
        await uow.commit()


async def claim(uow_factory: UowFactory, now: datetime = NOW, limit: int = 10, lease: int = 60) -> list[Any]:
    async with uow_factory() as uow:
        claimed = await queue(uow).claim(now, now + timedelta(seconds=lease), limit)
        await uow.commit()
    return claimed


async def test_committed_mail_is_claimed_oldest_first_with_one_attempt_counted(
    uow_factory: UowFactory,
) -> None:
    await add_mail(uow_factory, 3)
    claimed = await claim(uow_factory, limit=2)
    assert [(m.to, m.subject, m.body, m.attempts) for m in claimed] == [
        ("user0@example.com", "Subject 0", "Body 0", 1),
        ("user1@example.com", "Subject 1", "Body 1", 1),
    ]
    assert len({m.key for m in claimed}) == 2
    assert [m.to for m in await claim(uow_factory)] == ["user2@example.com"]


async def test_mail_of_a_rolled_back_unit_of_work_is_never_claimed(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await uow.outbox.add(mail(0), NOW)
    assert await claim(uow_factory) == []


async def test_claimed_mail_is_due_again_only_after_its_lease(uow_factory: UowFactory) -> None:
    await add_mail(uow_factory, 1)
    (first,) = await claim(uow_factory, lease=60)
    assert await claim(uow_factory, NOW + timedelta(seconds=59)) == []
    (again,) = await claim(uow_factory, NOW + timedelta(seconds=60))
    assert (again.id, again.key, again.attempts) == (first.id, first.key, 2)


async def test_mail_not_yet_due_is_not_claimed(uow_factory: UowFactory) -> None:
    await add_mail(uow_factory, 1, NOW + timedelta(minutes=1))
    assert await claim(uow_factory) == []


async def test_sent_retried_and_given_up_mail(uow_factory: UowFactory) -> None:
    await add_mail(uow_factory, 3)
    sent, retried, failed = await claim(uow_factory)
    async with uow_factory() as uow:
        await queue(uow).mark_sent(sent.id, NOW)
        await queue(uow).retry_at(retried.id, NOW + timedelta(minutes=5), "451 later")
        await queue(uow).give_up(failed.id, "550 no such mailbox " * 100)  # long reasons are cut
        await uow.commit()
    async with uow_factory() as uow:
        assert await queue(uow).status(sent.id) == (OutboxStatus.SENT, 1)
        assert await queue(uow).status(retried.id) == (OutboxStatus.PENDING, 1)
        assert await queue(uow).status(failed.id) == (OutboxStatus.FAILED, 1)
        assert await queue(uow).status(12345) is None
    later = NOW + timedelta(hours=1)
    assert [m.id for m in await claim(uow_factory, later)] == [retried.id]


async def test_two_deliverers_at_once_send_each_message_exactly_once(uow_factory: UowFactory) -> None:
    """Two delivery loops on one database (two instances on PostgreSQL): SKIP LOCKED keeps them off
    each other's rows."""
    await add_mail(uow_factory, 40)
    mailer = SlowMailer()
    policy = DeliveryPolicy(batch_size=5)
    clock = FixedClock(NOW)
    deliverers = [
        # Every adapter's unit of work is also a DeliveryUnitOfWork (its outbox a MailQueue).
        MailDelivery(cast(Any, uow_factory), mailer, clock, DeliverySignal(), policy, "mail.example")
        for _ in range(2)
    ]

    async def drain(delivery: MailDelivery) -> int:
        total = 0
        while claimed := await delivery.deliver_due():
            total += claimed
        return total

    counts = await asyncio.gather(*(drain(d) for d in deliverers))

    ids = [message.message_id for message in mailer.sent]
    assert sum(counts) == len(ids) == 40
    assert len(set(ids)) == 40
    assert min(counts) > 0  # both took part


class SlowMailer(InMemoryMailer):
    """Yields on every send, as a network send does, so the deliverers interleave."""

    async def send(self, message: MailMessage) -> None:
        await asyncio.sleep(0)
        await super().send(message)


async def test_a_decoy_leaves_nothing_to_claim(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await uow.outbox.add_decoy(NOW)
        await uow.commit()
    assert await claim(uow_factory, NOW + timedelta(days=1)) == []


async def test_housekeeping_deletes_expired_tokens_and_old_finished_mail(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    live, expired = token(id_of(user), "a", minutes=30), token(id_of(user), "b", VERIFY, minutes=-1)
    await add_tokens(uow_factory, live, expired)
    old = NOW - timedelta(days=31)
    await add_mail(uow_factory, 3, old)  # sent, given up, still pending: all written a month ago
    sent, failed, pending = await claim(uow_factory, old)
    async with uow_factory() as uow:
        await queue(uow).mark_sent(sent.id, old)
        await queue(uow).give_up(failed.id, "550 no such mailbox")
        await uow.commit()
    await add_mail(uow_factory, 1)  # a recent message, sent: kept for operators
    recent = max(await claim(uow_factory, NOW + timedelta(minutes=5)), key=lambda mail: mail.id)
    async with uow_factory() as uow:
        await queue(uow).mark_sent(recent.id, NOW)
        await uow.commit()
    delivery = MailDelivery(
        cast(Any, uow_factory),
        InMemoryMailer(),
        FixedClock(NOW),
        DeliverySignal(),
        DeliveryPolicy(),
        "x.example",
    )

    assert await delivery.keep_house() == (1, 2)

    async with uow_factory() as uow:
        assert await uow.tokens.find(live.token_hash, RESET, NOW) == live
        assert await queue(uow).status(sent.id) is None
        assert await queue(uow).status(failed.id) is None
        assert await queue(uow).status(recent.id) == (OutboxStatus.SENT, 1)
        assert (await queue(uow).status(pending.id) or (None,))[0] is OutboxStatus.PENDING
