from datetime import timedelta

import jwt
import pytest

from application.auth import Authenticate, CurrentUser
from application.ports import TokenClaims
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
from infrastructure.security import JwtTokenService
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
    token = await Authenticate(uow_factory, FakeHasher(), tokens)("ADA@example.com", "old password")
    assert tokens.read(token) == TokenClaims(id_of(ada), ada.credentials_stamp)
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
        await Authenticate(uow_factory, hasher, tokens)(email, password)
    assert caught.value.message == "Incorrect email or password"
    assert hasher.verifications == 1


@pytest.mark.parametrize("token", [None, "", "garbage", "a.b.c"])
async def test_missing_or_malformed_tokens_are_refused(uow_factory, tokens, token) -> None:
    with pytest.raises(InvalidCredentials):
        await CurrentUser(uow_factory, tokens)(token)


async def test_a_token_of_a_deleted_user_is_refused(uow_factory, tokens, ada: User) -> None:
    token = tokens.issue(TokenClaims(id_of(ada), ada.credentials_stamp))
    await DeleteAccount(uow_factory)(id_of(ada))
    with pytest.raises(InvalidCredentials):
        await CurrentUser(uow_factory, tokens)(token)


def test_tokens_expire_and_must_carry_our_signature(tokens: JwtTokenService, clock: FixedClock) -> None:
    token = tokens.issue(TokenClaims(7, "stamp"))
    assert tokens.read(token) == TokenClaims(7, "stamp")

    other_key = JwtTokenService("o" * 40, timedelta(minutes=30), clock)
    with pytest.raises(InvalidCredentials):
        other_key.read(token)

    clock.advance(minutes=30)
    with pytest.raises(InvalidCredentials):
        tokens.read(token)


def test_tokens_with_unusable_claims_are_refused(tokens: JwtTokenService, clock: FixedClock) -> None:
    now = int(clock.now().timestamp())
    valid = {"sub": "1", "stamp": "s", "iat": now, "exp": now + 60}
    assert tokens.read(jwt.encode(valid, SECRET, algorithm="HS256")) == TokenClaims(1, "s")
    for claims in [
        *({**valid, "sub": sub} for sub in ["abc", "0", "-4", str(2**40)]),
        {**valid, "stamp": 5},
        {k: v for k, v in valid.items() if k != "stamp"},
    ]:
        with pytest.raises(InvalidCredentials):
            tokens.read(jwt.encode(claims, SECRET, algorithm="HS256"))
    with pytest.raises(InvalidCredentials):
        tokens.read(jwt.encode(valid, key=None, algorithm="none"))


async def test_a_password_change_revokes_the_tokens_issued_before_it(
    uow_factory, hasher, tokens, ada: User
) -> None:
    login = Authenticate(uow_factory, hasher, tokens)
    before = await login("ada@example.com", "old password")

    changes = ProfileChanges(password="new password", current_password="old password")
    await UpdateProfile(uow_factory, hasher)(id_of(ada), changes)

    with pytest.raises(InvalidCredentials):
        await CurrentUser(uow_factory, tokens)(before)
    after = await login("ada@example.com", "new password")
    assert (await CurrentUser(uow_factory, tokens)(after)).id == ada.id


async def test_profile_name_and_email_change(uow_factory, hasher, ada: User, store: MemoryStore) -> None:
    updated = await UpdateProfile(uow_factory, hasher)(
        id_of(ada), ProfileChanges(name=" Ada L ", email="AL@x.org")
    )
    assert (updated.name, updated.email.value) == ("Ada L", "al@x.org")
    assert store.users[id_of(ada)] == updated


async def test_profile_email_taken_by_another_user_is_refused(
    uow_factory, hasher, clock, ada: User, store: MemoryStore
) -> None:
    await RegisterUser(uow_factory, hasher, clock)("Bob", "bob@example.com", "long enough")
    with pytest.raises(EmailAlreadyRegistered):
        await UpdateProfile(uow_factory, hasher)(id_of(ada), ProfileChanges(email="Bob@Example.com"))
    assert store.users[id_of(ada)] == ada


async def test_keeping_ones_own_email_is_not_a_conflict(uow_factory, hasher, ada: User) -> None:
    updated = await UpdateProfile(uow_factory, hasher)(id_of(ada), ProfileChanges(email="ADA@example.com"))
    assert updated.email == ada.email


async def test_password_change_needs_the_current_password(uow_factory, hasher, ada: User, store) -> None:
    update = UpdateProfile(uow_factory, hasher)

    with pytest.raises(ValidationError) as missing:
        await update(id_of(ada), ProfileChanges(password="new password"))
    assert missing.value.field == "current_password"
    with pytest.raises(PermissionDenied):
        await update(id_of(ada), ProfileChanges(password="new password", current_password="wrong one"))
    assert store.users[ada.id] == ada

    await update(id_of(ada), ProfileChanges(password="new password", current_password="old password"))
    assert await hasher.verify("new password", store.users[ada.id].password_hash)


async def test_invalid_profile_changes_change_nothing(uow_factory, hasher, ada: User, store) -> None:
    for changes in [ProfileChanges(name=" "), ProfileChanges(email="nope"), ProfileChanges(password="short")]:
        with pytest.raises(ValidationError):
            await UpdateProfile(uow_factory, hasher)(id_of(ada), changes)
    assert store.users[ada.id] == ada


async def test_deleting_an_unknown_account_is_not_found(uow_factory) -> None:
    with pytest.raises(NotFound):
        await DeleteAccount(uow_factory)(5)
