"""Session use cases on the in-memory adapters with a fixed clock: login starts a session, refresh
rotates its token, reuse ends it, revocation and sign-out end sessions, and their lifetimes hold."""

import asyncio
from datetime import timedelta

import pytest

from application.auth import Authenticate, CurrentUser, SignOutEverywhere
from application.moderation import SuspendUser
from application.ports.audit import AuditAction
from application.sessions import (
    ClientInfo,
    EndSession,
    Grant,
    ListSessions,
    RefreshSession,
    RevokeToken,
)
from application.users import DeleteAccount, ProfileChanges, RegisterUser, UpdateProfile
from domain.errors import AccountSuspended, InvalidCredentials, InvalidGrant, NotFound
from domain.roles import Role
from domain.sessions import SessionLifetimes, new_refresh_token
from domain.users import Suspension, User
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.security.tokens import JwtTokenService
from tests.factories import id_of
from tests.fakes import FakeHasher, FixedClock

PASSWORD = "correct horse"
LIFETIMES = SessionLifetimes(
    absolute=timedelta(days=30), idle=timedelta(days=7), reuse_grace=timedelta(seconds=10)
)
PHONE = ClientInfo("10.0.0.7", "Phone/1.0")


@pytest.fixture
def tokens(clock: FixedClock) -> JwtTokenService:
    return JwtTokenService("s" * 40, timedelta(minutes=15), clock)


@pytest.fixture
async def ada(uow_factory, hasher: FakeHasher, clock: FixedClock) -> User:
    return await RegisterUser(uow_factory, hasher, clock)("Ada", "ada@example.com", PASSWORD)


@pytest.fixture
def login(uow_factory, hasher, tokens, clock, ada: User):
    authenticate = Authenticate(uow_factory, hasher, tokens, clock, lifetimes=LIFETIMES)

    async def login(password: str = PASSWORD, client: ClientInfo = PHONE) -> Grant:
        return await authenticate("ada@example.com", password, client)

    return login


@pytest.fixture
def refresh(uow_factory, tokens, clock) -> RefreshSession:
    return RefreshSession(uow_factory, tokens, clock, LIFETIMES)


async def test_login_starts_a_session_with_a_refresh_token_stored_only_as_a_hash(
    login, ada: User, store: MemoryStore, tokens, uow_factory
) -> None:
    grant = await login()

    (session,) = store.sessions.values()
    assert (session.id, session.user_id) == (grant.session_id, id_of(ada))
    assert (session.client_address, session.user_agent) == ("10.0.0.7", "Phone/1.0")
    (stored,) = store.refresh_tokens.values()
    assert grant.refresh_token not in (stored.token_hash, str(store))
    assert grant.expires_in == 15 * 60
    assert grant.refresh_expires_in == int(LIFETIMES.idle.total_seconds())
    assert tokens.read(grant.access_token).session_id == session.id
    assert await CurrentUser(uow_factory, tokens)(grant.access_token) == ada


async def test_refresh_rotates_the_token_and_pays_no_password_hash(
    login, refresh: RefreshSession, ada: User, clock: FixedClock, store: MemoryStore
) -> None:
    first = await login()
    clock.advance(hours=1)

    second = await refresh(first.refresh_token, ClientInfo("10.0.0.8"))

    assert second.session_id == first.session_id
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    session = store.sessions[first.session_id]
    assert (session.last_used_at, session.client_address) == (clock.now(), "10.0.0.8")
    third = await refresh(second.refresh_token)
    assert third.session_id == first.session_id
    assert "hasher" not in RefreshSession.__dataclass_fields__  # no password hash to pay for


async def test_the_loser_of_a_concurrent_refresh_is_refused_and_the_session_survives(
    login, refresh: RefreshSession, clock: FixedClock, store: MemoryStore
) -> None:
    first = await login()
    winner = await refresh(first.refresh_token)
    clock.advance(seconds=10)  # within the grace: taken for the same client racing itself

    with pytest.raises(InvalidGrant):
        await refresh(first.refresh_token)

    assert first.session_id in store.sessions
    assert (await refresh(winner.refresh_token)).session_id == first.session_id
    assert store.audit == {}


async def test_reusing_a_rotated_token_ends_the_session_and_is_audited(
    login, refresh: RefreshSession, clock: FixedClock, store: MemoryStore, uow_factory, tokens
) -> None:
    stolen = await login()
    attacker = await refresh(stolen.refresh_token)  # the thief refreshes first
    clock.advance(minutes=1)

    with pytest.raises(InvalidGrant, match="already used"):
        await refresh(stolen.refresh_token, ClientInfo("10.0.0.9"), request_id="req-1")  # the victim

    assert store.sessions == {}
    with pytest.raises(InvalidGrant):
        await refresh(attacker.refresh_token)  # the newest token of the session died with it
    with pytest.raises(InvalidCredentials):
        await CurrentUser(uow_factory, tokens)(attacker.access_token)  # and its access tokens
    (entry,) = store.audit.values()
    assert (entry.action, entry.target, entry.actor_id, entry.request_id) == (
        AuditAction.REFRESH_TOKEN_REUSED,
        f"session:{stolen.session_id}",
        None,
        "req-1",
    )


async def test_other_sessions_survive_the_reuse_of_one(
    login, refresh: RefreshSession, clock: FixedClock, uow_factory, tokens
) -> None:
    phone, laptop = await login(), await login()
    await refresh(phone.refresh_token)
    clock.advance(minutes=1)
    with pytest.raises(InvalidGrant):
        await refresh(phone.refresh_token)
    assert (await CurrentUser(uow_factory, tokens)(laptop.access_token)).email.value == "ada@example.com"
    assert (await refresh(laptop.refresh_token)).session_id == laptop.session_id


@pytest.mark.parametrize(
    "token", ["", "garbage", "x" * 500, "not a token at all, spaces", new_refresh_token()]
)
async def test_malformed_and_unknown_refresh_tokens_are_invalid_grants_and_change_nothing(
    login, refresh: RefreshSession, store: MemoryStore, token: str
) -> None:
    await login()
    before = (dict(store.sessions), dict(store.refresh_tokens))
    with pytest.raises(InvalidGrant):
        await refresh(token)
    assert (store.sessions, store.refresh_tokens) == before
    assert store.audit == {}


@pytest.mark.parametrize(
    "elapsed",
    [
        {"days": 7},  # idle that long
        {"days": 31},  # past the absolute end
    ],
)
async def test_expired_sessions_refuse_their_refresh_token_and_nothing_changes(
    login, refresh: RefreshSession, clock: FixedClock, store: MemoryStore, elapsed
) -> None:
    grant = await login()
    clock.advance(**elapsed)
    before = (dict(store.sessions), dict(store.refresh_tokens))
    with pytest.raises(InvalidGrant):
        await refresh(grant.refresh_token)
    assert (store.sessions, store.refresh_tokens) == before


async def test_used_sessions_outlive_the_idle_limit_but_not_their_absolute_end(
    login, refresh: RefreshSession, clock: FixedClock
) -> None:
    grant = await login()
    for _ in range(4):  # 4 times 6 days of use: never idle for 7
        clock.advance(days=6)
        grant = await refresh(grant.refresh_token)
    assert grant.refresh_expires_in == int(timedelta(days=6).total_seconds())  # 30 days from login
    clock.advance(days=6)
    with pytest.raises(InvalidGrant):
        await refresh(grant.refresh_token)


async def test_an_ended_sessions_token_is_refused_and_other_users_sessions_stay(
    login, refresh: RefreshSession, uow_factory, hasher, clock, tokens, store: MemoryStore
) -> None:
    await RegisterUser(uow_factory, hasher, clock)("Bob", "bob@example.com", PASSWORD)
    bob = await Authenticate(uow_factory, hasher, tokens, clock)("bob@example.com", PASSWORD)
    ours = await login()
    await EndSession(uow_factory)(
        id_of(await CurrentUser(uow_factory, tokens)(ours.access_token)), ours.session_id
    )
    with pytest.raises(InvalidGrant):
        await refresh(ours.refresh_token)  # revoked
    assert list(store.sessions) == [bob.session_id]


async def test_revocation_ends_a_session_by_its_refresh_or_access_token(
    login, refresh: RefreshSession, uow_factory, tokens, store: MemoryStore
) -> None:
    by_refresh, by_access, kept = await login(), await login(), await login()
    revoke = RevokeToken(uow_factory, tokens)

    await revoke(by_refresh.refresh_token)
    await revoke(by_access.access_token)
    await revoke(by_refresh.refresh_token)  # again: nothing to do, no error
    await revoke("whatever a client sends")

    assert list(store.sessions) == [kept.session_id]
    for grant in (by_refresh, by_access):
        with pytest.raises(InvalidGrant):
            await refresh(grant.refresh_token)
        with pytest.raises(InvalidCredentials):  # ended at once, not within the access token's lifetime
            await CurrentUser(uow_factory, tokens)(grant.access_token)


async def test_listing_and_ending_ones_own_sessions(
    login, ada: User, uow_factory, clock: FixedClock, hasher, tokens
) -> None:
    first = await login()
    clock.advance(minutes=5)
    second = await login(client=ClientInfo("10.0.0.8", "Laptop/2.0"))
    listing = ListSessions(uow_factory, clock, LIFETIMES)

    assert [(s.id, s.user_agent) for s in await listing(id_of(ada))] == [
        (first.session_id, "Phone/1.0"),
        (second.session_id, "Laptop/2.0"),
    ]
    await RegisterUser(uow_factory, hasher, clock)("Bob", "bob@example.com", PASSWORD)
    bob = await CurrentUser(uow_factory, tokens)(
        (await Authenticate(uow_factory, hasher, tokens, clock)("bob@example.com", PASSWORD)).access_token
    )
    with pytest.raises(NotFound):
        await EndSession(uow_factory)(id_of(bob), first.session_id)  # not Bob's to end
    await EndSession(uow_factory)(id_of(ada), first.session_id)
    assert [s.id for s in await listing(id_of(ada))] == [second.session_id]
    clock.advance(days=7)
    assert await listing(id_of(ada)) == []  # idle: no longer listed


async def test_a_login_prunes_the_users_expired_sessions(
    login, clock: FixedClock, store: MemoryStore
) -> None:
    await login()
    clock.advance(days=8)
    fresh = await login()
    assert list(store.sessions) == [fresh.session_id]


@pytest.mark.parametrize("ending", ["sign-out", "password", "suspension", "deletion"])
async def test_every_way_of_ending_all_sessions_ends_refresh_and_access_tokens(
    ending: str, login, refresh, ada: User, uow_factory, hasher, clock, tokens, store: MemoryStore
) -> None:
    grants = [await login(), await login()]
    if ending == "sign-out":
        await SignOutEverywhere(uow_factory)(id_of(ada))
    elif ending == "password":
        changes = ProfileChanges(password="a new password", current_password=PASSWORD)
        await UpdateProfile(uow_factory, hasher)(id_of(ada), changes)
    elif ending == "suspension":
        await RegisterUser(uow_factory, hasher, clock)("Root", "root@example.com", PASSWORD)
        admin = next(u for u in store.users.values() if u.name == "Root")
        store.users[id_of(admin)].role = Role.ADMIN
        await SuspendUser(uow_factory, clock)(id_of(admin), id_of(ada), "spam")
    else:
        await DeleteAccount(uow_factory, hasher)(id_of(ada), PASSWORD)

    assert store.sessions == {}
    assert store.refresh_tokens == {}
    for grant in grants:
        with pytest.raises(InvalidGrant):
            await refresh(grant.refresh_token)
        with pytest.raises(InvalidCredentials):
            await CurrentUser(uow_factory, tokens)(grant.access_token)


async def test_a_suspended_user_with_the_right_password_is_told_so_and_a_wrong_one_is_not(
    login, ada: User, uow_factory, clock, store: MemoryStore
) -> None:
    store.users[id_of(ada)].suspension = Suspension.given("spam", clock.now())
    with pytest.raises(AccountSuspended):
        await login()
    with pytest.raises(InvalidCredentials):
        await login("wrong password")
    assert store.sessions == {}


async def test_two_overlapping_refreshes_of_one_token_let_exactly_one_through(
    login, tokens, clock: FixedClock, store: MemoryStore
) -> None:
    class Overlapping(InMemoryUnitOfWork):
        """Yields after reading the token, so that both refreshes read it before either writes."""

        async def __aenter__(self):
            entered = await super().__aenter__()
            find_token = self.sessions.find_token

            async def find_then_yield(token_hash: str):
                found = await find_token(token_hash)
                await asyncio.sleep(0)  # a yield, not a wait
                return found

            self.sessions.find_token = find_then_yield  # type: ignore[method-assign]
            return entered

    grant = await login()
    refresh = RefreshSession(lambda: Overlapping(store), tokens, clock, LIFETIMES)

    results = await asyncio.gather(
        refresh(grant.refresh_token), refresh(grant.refresh_token), return_exceptions=True
    )

    winners = [r for r in results if isinstance(r, Grant)]
    assert len(winners) == 1, results
    assert [type(r) for r in results if not isinstance(r, Grant)] == [InvalidGrant]
    assert (await refresh(winners[0].refresh_token)).session_id == grant.session_id  # the session survived


class Refused(Exception):
    """What a caller's session check raises in these tests."""


def refuse_all_but(session_id: str):
    checked: list[str] = []

    def check(found: str) -> None:
        checked.append(found)
        if found != session_id:
            raise Refused(found)

    return check, checked


async def test_a_session_check_is_given_the_tokens_session_and_refuses_before_anything_changes(
    login, refresh: RefreshSession, clock: FixedClock, store: MemoryStore
) -> None:
    mine, other = await login(), await login()
    check, checked = refuse_all_but(other.session_id)
    rotated = await refresh(mine.refresh_token)
    clock.advance(minutes=1)  # presenting `mine` again is now reuse: it would end the session

    with pytest.raises(Refused):
        await refresh(rotated.refresh_token, check_session=check)
    with pytest.raises(Refused):
        await refresh(mine.refresh_token, check_session=check)

    assert checked == [mine.session_id, mine.session_id]
    assert set(store.sessions) == {mine.session_id, other.session_id}  # reuse not even acted on
    assert store.audit == {}
    assert (await refresh(rotated.refresh_token)).session_id == mine.session_id  # still current


async def test_revocation_with_a_session_check_ends_only_a_session_it_accepts(
    login, uow_factory, tokens, store: MemoryStore
) -> None:
    mine, other = await login(), await login()
    revoke = RevokeToken(uow_factory, tokens)
    check, checked = refuse_all_but(other.session_id)

    with pytest.raises(Refused):
        await revoke(mine.refresh_token, check)
    await revoke(other.refresh_token, check)

    assert checked == [mine.session_id, other.session_id]
    assert list(store.sessions) == [mine.session_id]
