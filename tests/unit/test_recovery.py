"""Password reset and its one-time tokens, on in-memory adapters with a fixed clock."""

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from application.auth import Authenticate
from application.errors import MailUnavailable, RateLimited
from application.one_time_tokens import InvalidToken
from application.ports.recovery import TokenPurpose
from application.ports.throttling import Throttle
from application.recovery import RequestPasswordReset, ResetPassword
from application.sessions import RefreshSession
from application.users import ProfileChanges, RegisterUser, UpdateProfile
from domain.errors import InvalidCredentials, InvalidGrant, ValidationError
from domain.users import User
from infrastructure.memory import MemoryStore
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from infrastructure.security.tokens import JwtTokenService
from tests.factories import id_of
from tests.fakes import FakeHasher, FixedClock
from tests.recovery import mailing, outbox, stored, token_in

ADDRESS = "203.0.113.7"


def login_with(uow_factory, clock: FixedClock, limiter: LimitsRateLimiter | None = None) -> Authenticate:
    tokens = JwtTokenService("s" * 40, timedelta(minutes=5), clock)
    return (
        Authenticate(uow_factory, FakeHasher(), tokens, clock, limiter)
        if limiter
        else Authenticate(uow_factory, FakeHasher(), tokens, clock)
    )


@pytest.fixture
async def ada(uow_factory, hasher: FakeHasher, clock: FixedClock) -> User:
    return await RegisterUser(uow_factory, hasher, clock)("Ada", "ada@example.com", "old password")


@pytest.fixture
def request_reset(uow_factory, clock: FixedClock) -> RequestPasswordReset:
    return RequestPasswordReset(uow_factory, mailing(clock), clock)


@pytest.fixture
def reset(uow_factory, hasher: FakeHasher, clock: FixedClock) -> ResetPassword:
    return ResetPassword(uow_factory, hasher, mailing(clock), clock)


async def test_a_request_mails_a_link_whose_token_is_stored_only_as_its_hash(
    request_reset, store: MemoryStore, ada: User
) -> None:
    await request_reset("ADA@example.com")

    (mail,) = outbox(store)
    assert mail.to == "ada@example.com"
    assert "https://app.example/reset-password?token=" in mail.body
    token = token_in(mail)
    assert len(token) >= 22  # at least 128 bits of URL-safe base64 (these are 256)
    (stored_token,) = store.tokens.values()
    assert stored_token.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(store.tokens)
    assert (stored_token.user_id, stored_token.purpose) == (ada.id, TokenPurpose.PASSWORD_RESET)


async def test_a_request_for_a_missing_account_returns_alike_and_stores_nothing(
    request_reset, store: MemoryStore, ada: User
) -> None:
    assert await request_reset("nobody@example.com") is None
    assert outbox(store) == []
    assert store.tokens == {}


async def test_a_malformed_email_is_a_validation_error(request_reset) -> None:
    with pytest.raises(ValidationError):
        await request_reset("not an email")


async def test_each_request_makes_a_new_random_token(request_reset, store: MemoryStore, ada: User) -> None:
    await request_reset("ada@example.com")
    await request_reset("ada@example.com")
    first, second = (token_in(mail) for mail in outbox(store))
    assert first != second


async def test_the_token_sets_a_new_password_once_rotates_the_stamp_and_mails_a_notice(
    request_reset, reset, uow_factory, store: MemoryStore, hasher: FakeHasher, ada: User
) -> None:
    await request_reset("ada@example.com")
    token = token_in(outbox(store)[0])

    await reset(token, "a brand new password")

    after = await stored(uow_factory, ada)
    assert await hasher.verify("a brand new password", after.password_hash)
    assert after.credentials_stamp != ada.credentials_stamp  # every access token dies
    notice = outbox(store)[-1]
    assert (notice.to, notice.subject) == ("ada@example.com", "Users & posts: your password was changed")
    assert store.tokens == {}
    with pytest.raises(InvalidToken):  # single use
        await reset(token, "yet another password")
    assert (await stored(uow_factory, ada)).password_hash == after.password_hash


async def test_the_reset_does_not_log_in_but_the_new_password_does(
    request_reset, reset, uow_factory, store: MemoryStore, ada: User
) -> None:
    await request_reset("ada@example.com")
    assert await reset(token_in(outbox(store)[0]), "a brand new password") is None
    login = login_with(uow_factory, FixedClock())
    with pytest.raises(InvalidCredentials):
        await login("ada@example.com", "old password")
    assert (await login("ada@example.com", "a brand new password")).access_token


@pytest.mark.parametrize("minutes", [30, 31])
async def test_an_expired_token_changes_nothing(
    request_reset, reset, uow_factory, store: MemoryStore, clock: FixedClock, ada: User, minutes: int
) -> None:
    await request_reset("ada@example.com")
    token = token_in(outbox(store)[0])
    clock.advance(minutes=minutes)

    with pytest.raises(InvalidToken):
        await reset(token, "a brand new password")
    assert await stored(uow_factory, ada) == ada
    assert len(outbox(store)) == 1  # no notice


async def test_a_token_just_before_expiry_works(
    request_reset, reset, uow_factory, store: MemoryStore, hasher: FakeHasher, clock: FixedClock, ada: User
) -> None:
    await request_reset("ada@example.com")
    clock.advance(minutes=29, seconds=59)

    await reset(token_in(outbox(store)[0]), "a brand new password")

    after = await stored(uow_factory, ada)
    assert await hasher.verify("a brand new password", after.password_hash)
    assert not await hasher.verify("old password", after.password_hash)
    assert outbox(store)[-1].subject == "Users & posts: your password was changed"
    assert store.tokens == {}  # used up


@pytest.mark.parametrize(
    "token", ["", "short", "x" * 43, "A" * 42 + "!", "A" * 44, "A" * 10_000, "../../etc/passwd"]
)
async def test_unknown_and_malformed_tokens_fail_alike(reset, uow_factory, ada: User, token: str) -> None:
    with pytest.raises(InvalidToken) as raised:
        await reset(token, "a brand new password")
    assert raised.value.message == "The link is invalid or has expired; ask for a new one"
    assert await stored(uow_factory, ada) == ada


async def test_a_newer_request_ends_the_earlier_token(
    request_reset, reset, store: MemoryStore, ada: User
) -> None:
    await request_reset("ada@example.com")
    await request_reset("ada@example.com")
    earlier, newer = (token_in(mail) for mail in outbox(store))

    with pytest.raises(InvalidToken):
        await reset(earlier, "a brand new password")
    await reset(newer, "a brand new password")


async def test_a_password_change_ends_outstanding_reset_tokens(
    request_reset, reset, uow_factory, store: MemoryStore, hasher: FakeHasher, ada: User
) -> None:
    await request_reset("ada@example.com")
    token = token_in(outbox(store)[0])
    changes = ProfileChanges(password="changed by the owner", current_password="old password")
    await UpdateProfile(uow_factory, hasher)(id_of(ada), changes)

    with pytest.raises(InvalidToken):
        await reset(token, "a brand new password")
    assert await hasher.verify("changed by the owner", (await stored(uow_factory, ada)).password_hash)


async def test_a_token_for_another_address_or_purpose_does_not_reset(
    request_reset, reset, uow_factory, store: MemoryStore, hasher: FakeHasher, clock: FixedClock, ada: User
) -> None:
    await request_reset("ada@example.com")
    token = token_in(outbox(store)[0])
    changes = ProfileChanges(email="ada@lovelace.example", current_password="old password")
    await UpdateProfile(uow_factory, hasher, mailing=mailing(clock))(id_of(ada), changes)
    with pytest.raises(InvalidToken):  # mailed to an address the account no longer has
        await reset(token, "a brand new password")

    verification = next(m for m in outbox(store) if m.to == "ada@lovelace.example")
    with pytest.raises(InvalidToken):  # a verification token is no reset token
        await reset(token_in(verification), "a brand new password")


async def test_the_new_password_obeys_the_registration_rules(
    request_reset, reset, store: MemoryStore, ada: User
) -> None:
    await request_reset("ada@example.com")
    with pytest.raises(ValidationError):
        await reset(token_in(outbox(store)[0]), "short")
    assert len(store.tokens) == 1  # still usable


def _limiter(**rules: str) -> LimitsRateLimiter:
    defaults = {throttle: "1000/minute" for throttle in Throttle}
    return LimitsRateLimiter(parse_rules({**defaults, **{Throttle[k]: v for k, v in rules.items()}}))


async def test_requests_are_limited_per_account_existing_or_not_and_per_address(
    uow_factory, clock: FixedClock, store: MemoryStore, ada: User
) -> None:
    limiter = _limiter(PASSWORD_RESET_PER_ACCOUNT="2/hour", PASSWORD_RESET_PER_ADDRESS="5/hour")
    request_reset = RequestPasswordReset(uow_factory, mailing(clock), clock, limiter)
    for email in ("ada@example.com", "nobody@example.com"):
        for client in ("10.0.0.1", "10.0.0.2"):
            await request_reset(email, client)
        with pytest.raises(RateLimited):
            await request_reset(email.upper(), "10.0.0.3")
    await request_reset("carol@example.com", "10.0.0.9")
    with pytest.raises(RateLimited) as refused:  # the address's sixth request
        for n in range(5):
            await request_reset(f"user{n}@example.com", "10.0.0.9")
    assert refused.value.retry_after > 0
    assert len(outbox(store)) == 2  # only the two allowed for Ada


async def test_confirmations_are_limited_per_address(
    uow_factory, hasher: FakeHasher, clock: FixedClock, store: MemoryStore, ada: User
) -> None:
    reset = ResetPassword(
        uow_factory, hasher, mailing(clock), clock, _limiter(TOKEN_CONFIRM_PER_ADDRESS="3/hour")
    )
    await RequestPasswordReset(uow_factory, mailing(clock), clock)("ada@example.com")
    for _ in range(3):
        with pytest.raises(InvalidToken):
            await reset("A" * 43, "a brand new password", ADDRESS)
    with pytest.raises(RateLimited):  # guessing is bounded, even with the right token now
        await reset(token_in(outbox(store)[0]), "a brand new password", ADDRESS)
    await reset(token_in(outbox(store)[0]), "a brand new password", "198.51.100.1")


async def test_a_reset_request_never_locks_the_account(uow_factory, clock: FixedClock, ada: User) -> None:
    limiter = _limiter(PASSWORD_RESET_PER_ACCOUNT="1/hour", FAILED_LOGIN_PER_ACCOUNT="1/hour")
    request_reset = RequestPasswordReset(uow_factory, mailing(clock), clock, limiter)
    await request_reset("ada@example.com")
    with pytest.raises(RateLimited):
        await request_reset("ada@example.com")
    from datetime import timedelta

    from infrastructure.security.tokens import JwtTokenService

    login = Authenticate(
        uow_factory, FakeHasher(), JwtTokenService("s" * 40, timedelta(minutes=5), clock), clock, limiter
    )
    assert (await login("ada@example.com", "old password")).access_token


async def test_with_mail_off_a_request_is_refused_for_every_address(
    uow_factory, clock: FixedClock, store: MemoryStore, ada: User
) -> None:
    request_reset = RequestPasswordReset(uow_factory, mailing(clock, enabled=False), clock)
    for email in ("ada@example.com", "nobody@example.com"):
        with pytest.raises(MailUnavailable):
            await request_reset(email)
    assert store.tokens == {}
    assert outbox(store) == []


async def test_a_missing_account_costs_a_durable_write_as_an_existing_one_does(
    request_reset, monkeypatch: pytest.MonkeyPatch, ada: User
) -> None:
    """Timing must not tell them apart: on PostgreSQL most of the request is the commit's flush to
    disk, so the missing-account path writes (and removes) a decoy outbox row."""
    from infrastructure.memory import InMemoryOutbox

    calls: list[str] = []
    add, decoy = InMemoryOutbox.add, InMemoryOutbox.add_decoy

    async def counting_add(self: InMemoryOutbox, *args: Any) -> None:
        calls.append("add")
        await add(self, *args)

    async def counting_decoy(self: InMemoryOutbox, *args: Any) -> None:
        calls.append("decoy")
        await decoy(self, *args)

    monkeypatch.setattr(InMemoryOutbox, "add", counting_add)
    monkeypatch.setattr(InMemoryOutbox, "add_decoy", counting_decoy)
    await request_reset("ada@example.com")
    await request_reset("nobody@example.com")
    assert calls == ["add", "decoy"]


async def test_a_reset_ends_every_session_its_refresh_tokens_included(
    request_reset, reset, uow_factory, store: MemoryStore, clock: FixedClock, ada: User
) -> None:
    grant = await login_with(uow_factory, clock)("ada@example.com", "old password")
    await request_reset("ada@example.com")

    await reset(token_in(outbox(store)[0]), "a brand new password")

    assert store.sessions == {}
    refresh = RefreshSession(uow_factory, JwtTokenService("s" * 40, timedelta(minutes=5), clock), clock)
    with pytest.raises(InvalidGrant):
        await refresh(grant.refresh_token)
