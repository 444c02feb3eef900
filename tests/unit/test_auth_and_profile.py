from datetime import timedelta
from typing import Any

import jwt
import pytest

from application.auth import Authenticate, CurrentUser, SignOutEverywhere
from application.errors import RateLimited
from application.ports.security import TokenClaims
from application.ports.throttling import Throttle
from application.sessions import ClientInfo
from application.users import DeleteAccount, ProfileChanges, RegisterUser, UpdateProfile
from domain.errors import (
    EmailAlreadyRegistered,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from domain.users import User
from infrastructure.memory import MemoryStore
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from infrastructure.security.tokens import JwtTokenService
from tests.factories import id_of
from tests.fakes import FakeHasher, FixedClock

SECRET = "s" * 40


class CountingHasher(FakeHasher):
    """Counts verifications, the expensive step a missing user must not skip."""

    def __init__(self) -> None:
        self.verifications = 0

    async def verify(self, password: str, password_hash: str | None) -> bool:
        self.verifications += 1
        return await super().verify(password, password_hash)


@pytest.fixture
def tokens(clock: FixedClock) -> JwtTokenService:
    return JwtTokenService(SECRET, timedelta(minutes=30), clock)


@pytest.fixture
async def ada(uow_factory, hasher: FakeHasher, clock: FixedClock) -> User:
    return await RegisterUser(uow_factory, hasher, clock)("Ada", "ada@example.com", "old password")


async def test_login_issues_a_token_naming_the_user(uow_factory, tokens, ada: User) -> None:
    issued = await Authenticate(uow_factory, FakeHasher(), tokens, FixedClock())(
        "ADA@example.com", "old password"
    )
    assert issued.expires_in == 30 * 60
    token = issued.access_token
    claims = tokens.read(token)
    assert (claims.user_id, claims.stamp, claims.session_id) == (
        id_of(ada),
        ada.credentials_stamp,
        issued.session_id,
    )
    assert await CurrentUser(uow_factory, tokens)(token) == ada


@pytest.mark.parametrize(
    ("email", "password"),
    [("ada@example.com", "wrong password"), ("nobody@example.com", "old password"), ("not an email", "x")],
)
async def test_wrong_email_or_password_fail_alike_and_both_verify_a_hash(
    uow_factory, tokens, ada: User, email: str, password: str
) -> None:
    hasher = CountingHasher()
    with pytest.raises(InvalidCredentials) as caught:
        await Authenticate(uow_factory, hasher, tokens, FixedClock())(email, password)
    assert caught.value.message == "Incorrect email or password"
    assert hasher.verifications == 1


@pytest.mark.parametrize("token", [None, "", "garbage", "a.b.c"])
async def test_missing_or_malformed_tokens_are_refused(uow_factory, tokens, token) -> None:
    with pytest.raises(InvalidCredentials):
        await CurrentUser(uow_factory, tokens)(token)


async def test_a_token_of_a_deleted_user_is_refused(uow_factory, tokens, ada: User) -> None:
    token = tokens.issue(TokenClaims(id_of(ada), ada.credentials_stamp, "a-session")).access_token
    await DeleteAccount(uow_factory, FakeHasher())(id_of(ada), "old password")
    with pytest.raises(InvalidCredentials):
        await CurrentUser(uow_factory, tokens)(token)


def test_tokens_expire_and_must_carry_our_signature(tokens: JwtTokenService, clock: FixedClock) -> None:
    token = tokens.issue(TokenClaims(7, "stamp", "a-session")).access_token
    assert tokens.read(token) == TokenClaims(7, "stamp", "a-session")

    other_key = JwtTokenService("o" * 40, timedelta(minutes=30), clock)
    with pytest.raises(InvalidCredentials):
        other_key.read(token)

    clock.advance(minutes=30, seconds=10)  # the lifetime, and the leeway
    with pytest.raises(InvalidCredentials):
        tokens.read(token)


def test_expiry_is_judged_by_the_injected_clock_with_a_small_leeway(
    tokens: JwtTokenService, clock: FixedClock
) -> None:
    token = tokens.issue(TokenClaims(7, "stamp", "a-session")).access_token
    clock.advance(minutes=30, seconds=9)
    assert tokens.read(token) == TokenClaims(7, "stamp", "a-session")
    clock.advance(seconds=1)
    with pytest.raises(InvalidCredentials):
        tokens.read(token)


def test_a_verified_token_is_remembered_until_it_expires(
    tokens: JwtTokenService, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tokens.issue(TokenClaims(7, "stamp", "a-session")).access_token
    decoded: list[str] = []
    decode = tokens._jwt.decode

    def counted(jwt: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(jwt)
        return decode(jwt, *args, **kwargs)

    monkeypatch.setattr(tokens._jwt, "decode", counted)
    for _ in range(3):
        assert tokens.read(token) == TokenClaims(7, "stamp", "a-session")
    assert decoded == [token]  # verified once, then remembered

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")  # another signature: not remembered
    with pytest.raises(InvalidCredentials):
        tokens.read(forged)
    clock.advance(minutes=30, seconds=10)
    with pytest.raises(InvalidCredentials):  # remembered or not, an expired token is refused
        tokens.read(token)


def test_the_remembered_tokens_are_bounded(
    tokens: JwtTokenService, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("infrastructure.security.tokens.VERIFIED_TOKENS_MAX", 2)
    issued = [tokens.issue(TokenClaims(n, "stamp", "a-session")).access_token for n in range(1, 5)]
    for n, token in enumerate(issued, start=1):
        assert tokens.read(token).user_id == n
    assert len(tokens._verified) == 2
    assert tokens.read(issued[0]).user_id == 1  # forgotten, verified again


async def test_a_remembered_token_stops_working_when_its_sessions_end(
    uow_factory, hasher: FakeHasher, tokens: JwtTokenService, ada: User
) -> None:
    issued = await Authenticate(uow_factory, hasher, tokens, FixedClock())("ada@example.com", "old password")
    assert await CurrentUser(uow_factory, tokens)(issued.access_token) == ada
    await SignOutEverywhere(uow_factory)(id_of(ada))
    with pytest.raises(InvalidCredentials):
        await CurrentUser(uow_factory, tokens)(issued.access_token)


def _claims(clock: FixedClock) -> dict[str, Any]:
    now = int(clock.now().timestamp())
    return {
        "sub": "1",
        "stamp": "s",
        "sid": "s1",
        "iss": "users-posts",
        "aud": "users-posts",
        "iat": now,
        "exp": now + 60,
    }


def test_tokens_with_unusable_claims_are_refused(tokens: JwtTokenService, clock: FixedClock) -> None:
    valid = _claims(clock)
    now = valid["iat"]
    assert tokens.read(jwt.encode(valid, SECRET, algorithm="HS256")) == TokenClaims(1, "s", "s1")
    for claims in [
        *({**valid, "sub": sub} for sub in ["abc", "0", "-4", str(2**40), " 1", "+1", "01", "\uff11", "1 "]),
        {**valid, "sub": 1},
        {**valid, "stamp": 5},
        {**valid, "sid": 5},
        {**valid, "sid": "x" * 33},
        *({**valid, "exp": exp} for exp in [float("nan"), float("inf"), "soon", now - 11]),
        {**valid, "iat": now + 24 * 3600},  # issued a day ahead
        {**valid, "iat": float("nan")},
        {**valid, "iss": "someone-else"},
        {**valid, "aud": "another-api"},
        {**valid, "aud": ["users-posts", "another-api"]},
        *({k: v for k, v in valid.items() if k != missing} for missing in valid),
    ]:
        with pytest.raises(InvalidCredentials):
            tokens.read(jwt.encode(claims, SECRET, algorithm="HS256"))
    with pytest.raises(InvalidCredentials):
        tokens.read(jwt.encode(valid, key="", algorithm="none"))  # PyJWT takes "" for no key


async def test_a_password_change_revokes_the_tokens_issued_before_it(
    uow_factory, hasher, tokens, ada: User
) -> None:
    login = Authenticate(uow_factory, hasher, tokens, FixedClock())
    before = (await login("ada@example.com", "old password")).access_token

    changes = ProfileChanges(password="new password", current_password="old password")
    await UpdateProfile(uow_factory, hasher)(id_of(ada), changes)

    with pytest.raises(InvalidCredentials):
        await CurrentUser(uow_factory, tokens)(before)
    after = (await login("ada@example.com", "new password")).access_token
    assert (await CurrentUser(uow_factory, tokens)(after)).id == id_of(ada)


async def test_signing_out_everywhere_revokes_every_token_issued_before(
    uow_factory, hasher, tokens, ada: User
) -> None:
    login = Authenticate(uow_factory, hasher, tokens, FixedClock())
    first, second = [(await login("ada@example.com", "old password")).access_token for _ in range(2)]

    await SignOutEverywhere(uow_factory)(id_of(ada))

    for token in (first, second):
        with pytest.raises(InvalidCredentials):
            await CurrentUser(uow_factory, tokens)(token)
    after = (await login("ada@example.com", "old password")).access_token
    assert (await CurrentUser(uow_factory, tokens)(after)).id == id_of(ada)


async def test_profile_name_and_email_change(uow_factory, hasher, ada: User, store: MemoryStore) -> None:
    updated = await UpdateProfile(uow_factory, hasher)(
        id_of(ada), ProfileChanges(name=" Ada L ", email="AL@x.org", current_password="old password")
    )
    assert (updated.name, updated.email.value) == ("Ada L", "al@x.org")
    assert store.users[id_of(ada)] == updated


async def test_profile_email_taken_by_another_user_is_refused(
    uow_factory, hasher, clock, ada: User, store: MemoryStore
) -> None:
    await RegisterUser(uow_factory, hasher, clock)("Bob", "bob@example.com", "long enough")
    with pytest.raises(EmailAlreadyRegistered):
        await UpdateProfile(uow_factory, hasher)(
            id_of(ada), ProfileChanges(email="Bob@Example.com", current_password="old password")
        )
    assert store.users[id_of(ada)] == ada


@pytest.mark.parametrize(("credential", "new"), [("email", "new@example.com"), ("password", "new password")])
async def test_an_email_or_password_change_needs_the_current_password(
    uow_factory, hasher, tokens, ada: User, store, credential: str, new: str
) -> None:
    update = UpdateProfile(uow_factory, hasher)
    with pytest.raises(ValidationError) as missing:
        await update(id_of(ada), ProfileChanges(**{credential: new}))
    assert missing.value.field == "current_password"
    with pytest.raises(PermissionDenied):
        await update(id_of(ada), ProfileChanges(**{credential: new}, current_password="wrong one"))
    assert store.users[id_of(ada)] == ada

    await update(id_of(ada), ProfileChanges(**{credential: new}, current_password="old password"))
    # The new credential is the one stored: Ada logs in with it.
    credentials = {"email": "ada@example.com", "password": "old password", credential: new}
    login = Authenticate(uow_factory, hasher, tokens, FixedClock())
    issued = await login(credentials["email"], credentials["password"])
    assert tokens.read(issued.access_token).user_id == id_of(ada)


async def test_a_name_change_needs_no_current_password(uow_factory, hasher, ada: User) -> None:
    changed = await UpdateProfile(uow_factory, hasher)(id_of(ada), ProfileChanges(name="Only the name"))
    assert changed.name == "Only the name"


async def test_deleting_the_account_needs_the_current_password(uow_factory, hasher, ada: User, store) -> None:
    delete = DeleteAccount(uow_factory, hasher)
    with pytest.raises(ValidationError):
        await delete(id_of(ada), None)
    with pytest.raises(PermissionDenied):
        await delete(id_of(ada), "wrong one")
    assert store.users[id_of(ada)] == ada
    await delete(id_of(ada), "old password")
    assert store.users == {}


def _limiter(**rules: str) -> LimitsRateLimiter:
    defaults = {
        Throttle.FAILED_LOGIN_PER_ACCOUNT: "3/minute",
        Throttle.FAILED_LOGIN_PER_ADDRESS: "5/minute",
        Throttle.REGISTRATION_PER_ADDRESS: "2/minute",
        Throttle.POST_PER_USER: "2/minute",
    }
    return LimitsRateLimiter(parse_rules({**defaults, **{Throttle[k]: v for k, v in rules.items()}}))


async def test_failed_logins_are_limited_per_account_before_hashing_and_a_success_clears_them(
    uow_factory, tokens, ada: User
) -> None:
    hasher, limiter = CountingHasher(), _limiter()
    login = Authenticate(uow_factory, hasher, tokens, FixedClock(), limiter)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await login("ada@example.com", "wrong", client=ClientInfo("10.0.0.1"))
    await login(
        "ada@example.com", "old password", client=ClientInfo("10.0.0.2")
    )  # clears the account's count
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await login("ada@example.com", "wrong", client=ClientInfo("10.0.0.3"))
    hashed = hasher.verifications

    with pytest.raises(RateLimited) as refused:
        await login("ada@example.com", "old password", client=ClientInfo("10.0.0.4"))  # even the right one
    assert 1 <= refused.value.retry_after <= 60
    assert hasher.verifications == hashed  # refused before any hashing
    with pytest.raises(RateLimited):
        await login("ADA@Example.com", "wrong", client=ClientInfo("10.0.0.5"))  # any spelling of the account


async def test_failed_logins_are_limited_per_client_address(uow_factory, tokens, ada: User) -> None:
    login = Authenticate(uow_factory, FakeHasher(), tokens, FixedClock(), _limiter())
    for n in range(5):  # five accounts, one address
        with pytest.raises(InvalidCredentials):
            await login(f"user{n}@example.com", "wrong", client=ClientInfo("10.0.0.1"))
    with pytest.raises(RateLimited):
        await login("ada@example.com", "old password", client=ClientInfo("10.0.0.1"))
    await login("ada@example.com", "old password", client=ClientInfo("10.0.0.2"))


async def test_a_wrong_current_password_counts_as_a_failed_login(
    uow_factory, hasher, tokens, ada: User
) -> None:
    limiter = _limiter()
    update = UpdateProfile(uow_factory, hasher, limiter)
    for _ in range(3):
        with pytest.raises(PermissionDenied):
            await update(id_of(ada), ProfileChanges(password="new password", current_password="wrong"))
    with pytest.raises(RateLimited):
        await update(id_of(ada), ProfileChanges(password="new password", current_password="old password"))
    with pytest.raises(RateLimited):
        await DeleteAccount(uow_factory, hasher, limiter)(id_of(ada), "old password")
    with pytest.raises(RateLimited):
        await Authenticate(uow_factory, hasher, tokens, FixedClock(), limiter)(
            "ada@example.com", "old password"
        )


async def test_registrations_are_limited_per_address_before_hashing(uow_factory, clock) -> None:
    hasher = CountingHasher()
    register = RegisterUser(uow_factory, hasher, clock, _limiter())
    await register("A", "a@example.com", "long enough", client="10.0.0.1")
    await register("B", "b@example.com", "long enough", client="10.0.0.1")
    with pytest.raises(RateLimited):
        await register("C", "c@example.com", "long enough", client="10.0.0.1")
    await register("C", "c@example.com", "long enough", client="10.0.0.2")


async def test_keeping_ones_own_email_is_not_a_conflict(uow_factory, hasher, ada: User) -> None:
    updated = await UpdateProfile(uow_factory, hasher)(id_of(ada), ProfileChanges(email="ADA@example.com"))
    assert updated.email == ada.email


async def test_invalid_profile_changes_change_nothing(uow_factory, hasher, ada: User, store) -> None:
    for changes in [ProfileChanges(name=" "), ProfileChanges(email="nope"), ProfileChanges(password="short")]:
        with pytest.raises(ValidationError):
            await UpdateProfile(uow_factory, hasher)(id_of(ada), changes)
    assert store.users[id_of(ada)] == ada


async def test_deleting_an_unknown_account_is_not_found(uow_factory) -> None:
    with pytest.raises(NotFound):
        await DeleteAccount(uow_factory, FakeHasher())(5, "old password")
