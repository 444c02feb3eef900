"""Email verification: registration and an email change mail a link; the link verifies once."""

import pytest

from application.errors import MailUnavailable, RateLimited
from application.one_time_tokens import InvalidToken
from application.ports.throttling import Throttle
from application.posts import CreatePost, EmailNotVerified
from application.users import ProfileChanges, RegisterUser, UpdateProfile
from application.verification import SendVerificationEmail, VerifyEmail
from domain.users import User
from infrastructure.memory import MemoryStore
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from tests.factories import id_of
from tests.fakes import FakeHasher, FixedClock
from tests.recovery import mailing, outbox, stored, token_in


@pytest.fixture
async def ada(uow_factory, hasher: FakeHasher, clock: FixedClock) -> User:
    register = RegisterUser(uow_factory, hasher, clock, mailing=mailing(clock))
    return await register("Ada", "ada@example.com", "old password")


@pytest.fixture
def verify(uow_factory, clock: FixedClock) -> VerifyEmail:
    return VerifyEmail(uow_factory, mailing(clock), clock)


async def test_registration_mails_a_link_that_verifies_the_address_once(
    uow_factory, verify, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    assert not ada.email_verified
    (mail,) = outbox(store)
    assert mail.to == "ada@example.com"
    assert "https://app.example/verify-email?token=" in mail.body

    clock.advance(hours=23)
    await verify(token_in(mail))

    assert (await stored(uow_factory, ada)).email_verified_at == clock.now()
    with pytest.raises(InvalidToken):
        await verify(token_in(mail))


async def test_a_verification_link_expires(
    uow_factory, verify, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    clock.advance(hours=24)
    with pytest.raises(InvalidToken):
        await verify(token_in(outbox(store)[0]))
    assert not (await stored(uow_factory, ada)).email_verified


async def test_registration_without_mail_writes_no_mail(uow_factory, hasher, clock, store) -> None:
    await RegisterUser(uow_factory, hasher, clock)("Bob", "bob@example.com", "long enough")
    assert outbox(store) == []
    assert store.tokens == {}


async def test_a_new_email_is_unverified_gets_a_link_and_the_old_one_a_notice(
    uow_factory, verify, hasher: FakeHasher, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    first_link = outbox(store)[0]
    await verify(token_in(first_link))
    update = UpdateProfile(uow_factory, hasher, mailing=mailing(clock))
    changes = ProfileChanges(email="ada@lovelace.example", current_password="old password")

    updated = await update(id_of(ada), changes)

    assert not updated.email_verified
    assert not (await stored(uow_factory, ada)).email_verified
    link, notice = outbox(store)[1:]
    assert link.to == "ada@lovelace.example"
    assert (notice.to, notice.subject) == ("ada@example.com", "Users & posts: your email address was changed")
    assert "ada@lovelace.example" in notice.body
    await verify(token_in(link))
    assert (await stored(uow_factory, ada)).email_verified


async def test_a_link_to_an_address_the_account_left_does_not_verify(
    uow_factory, verify, hasher: FakeHasher, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    old_link = outbox(store)[0]
    changes = ProfileChanges(email="ada@lovelace.example", current_password="old password")
    await UpdateProfile(uow_factory, hasher, mailing=mailing(clock))(id_of(ada), changes)
    with pytest.raises(InvalidToken):
        await verify(token_in(old_link))
    assert not (await stored(uow_factory, ada)).email_verified


async def test_a_name_change_keeps_the_verification(
    uow_factory, verify, hasher: FakeHasher, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    await verify(token_in(outbox(store)[0]))
    await UpdateProfile(uow_factory, hasher, mailing=mailing(clock))(
        id_of(ada), ProfileChanges(name="Ada L.")
    )
    assert (await stored(uow_factory, ada)).email_verified
    assert len(outbox(store)) == 1


async def test_asking_again_sends_a_new_link_and_ends_the_earlier_one(
    uow_factory, verify, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    await SendVerificationEmail(uow_factory, mailing(clock), clock)(id_of(ada))
    earlier, newer = outbox(store)
    with pytest.raises(InvalidToken):
        await verify(token_in(earlier))
    await verify(token_in(newer))


async def test_asking_when_verified_sends_nothing(
    uow_factory, verify, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    await verify(token_in(outbox(store)[0]))
    await SendVerificationEmail(uow_factory, mailing(clock), clock)(id_of(ada))
    assert len(outbox(store)) == 1


async def test_asking_is_limited_per_user_and_refused_with_mail_off(
    uow_factory, clock: FixedClock, store: MemoryStore, ada: User
) -> None:
    rules = {throttle: "1000/minute" for throttle in Throttle} | {
        Throttle.VERIFICATION_EMAIL_PER_USER: "2/hour"
    }
    send = SendVerificationEmail(uow_factory, mailing(clock), clock, LimitsRateLimiter(parse_rules(rules)))
    await send(id_of(ada))
    await send(id_of(ada))
    with pytest.raises(RateLimited):
        await send(id_of(ada))
    with pytest.raises(MailUnavailable):
        await SendVerificationEmail(uow_factory, mailing(clock, enabled=False), clock)(id_of(ada))
    assert len(outbox(store)) == 3


async def test_writing_posts_can_require_a_verified_email(
    uow_factory, verify, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    assert await CreatePost(uow_factory, clock)(id_of(ada), "Allowed", "by default")
    strict = CreatePost(uow_factory, clock, require_verified_email=True)
    with pytest.raises(EmailNotVerified) as refused:
        await strict(id_of(ada), "Refused", "until verified")
    assert refused.value.message == "Verify your email address before writing posts"
    await verify(token_in(outbox(store)[0]))
    assert await strict(id_of(ada), "Allowed", "once verified")
