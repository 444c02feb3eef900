"""What every SessionStore, AuditLog and user-administration adapter does (memory, SQLite, PostgreSQL):
sessions and their hashed refresh tokens, the conditional rotation, ending sessions, cascades, the
targeted writes of roles and suspensions, and the audit log's pages."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from application.pagination import PageRequest
from application.ports.audit import AuditAction, AuditEntry
from domain.errors import Conflict, NotFound
from domain.roles import Role
from domain.sessions import RefreshToken, Session, SessionLifetimes, new_refresh_token, refresh_token_hash
from domain.users import Suspension, User
from tests.contract.stored import UowFactory, add_users
from tests.factories import id_of

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
LIFETIMES = SessionLifetimes()
SessionUowFactory = UowFactory


@pytest.fixture
def uows(uow_factory: UowFactory) -> SessionUowFactory:
    return uow_factory


def token_of(session: Session, at: datetime = NOW) -> RefreshToken:
    return RefreshToken(refresh_token_hash(new_refresh_token()), session.id, at)


async def start(uows: SessionUowFactory, user: User, at: datetime = NOW) -> tuple[Session, RefreshToken]:
    session = Session.start(id_of(user), at, LIFETIMES, "10.0.0.1", "Agent/1.0")
    token = token_of(session, at)
    async with uows() as uow:
        await uow.sessions.add(session, token)
        await uow.commit()
    return session, token


async def signed_in(uows: SessionUowFactory) -> tuple[User, Session, RefreshToken]:
    """A new stored user, their one session (started at NOW) and its refresh token."""
    (user,) = await add_users(uows, 1)
    return user, *await start(uows, user)


async def test_a_session_and_its_token_are_stored_and_found_by_the_hash(uows: SessionUowFactory) -> None:
    ada, session, token = await signed_in(uows)

    async with uows() as uow:
        assert await uow.sessions.find_token(token.token_hash) == (token, session)
        assert await uow.sessions.find_token(refresh_token_hash("unknown token")) is None
        assert await uow.sessions.get(session.id) == session
        assert await uow.sessions.exists(session.id, id_of(ada))
        assert not await uow.sessions.exists(session.id, id_of(ada) + 1)  # someone else's id
        assert await uow.sessions.list_for_user(id_of(ada)) == [session]
        assert await uow.sessions.user_in_session(id_of(ada), session.id) == ada
        assert await uow.sessions.user_in_session(id_of(ada), "0" * 32) is None
    assert session.created_at.utcoffset() is not None


async def test_a_session_of_a_missing_user_is_refused(uows: SessionUowFactory) -> None:
    session = Session.start(123_456, NOW, LIFETIMES, "10.0.0.1", "")
    with pytest.raises(NotFound):
        async with uows() as uow:
            await uow.sessions.add(session, token_of(session))
            await uow.commit()


async def test_rotation_is_a_conditional_write(uows: SessionUowFactory) -> None:
    _, session, first = await signed_in(uows)
    second, third = token_of(session), token_of(session)
    later = NOW + timedelta(hours=1)

    async with uows() as uow:
        assert await uow.sessions.rotate(first.token_hash, second, later, "10.0.0.2")
        await uow.commit()
    async with uows() as uow:  # rotated already: nothing is written
        assert not await uow.sessions.rotate(first.token_hash, third, later, "10.0.0.3")
        await uow.commit()

    async with uows() as uow:
        rotated, stored = await uow.sessions.find_token(first.token_hash) or (None, None)
        assert rotated is not None
        assert rotated.rotated_at == later
        assert await uow.sessions.find_token(second.token_hash) == (second, stored)
        assert await uow.sessions.find_token(third.token_hash) is None
        assert stored is not None
        assert (stored.last_used_at, stored.client_address) == (later, "10.0.0.2")


async def test_of_two_overlapping_rotations_of_one_token_exactly_one_commits(uows: SessionUowFactory) -> None:
    _, session, first = await signed_in(uows)
    successors = [token_of(session), token_of(session)]

    async def rotate(successor: RefreshToken) -> bool:
        async with uows() as uow:
            if not await uow.sessions.rotate(first.token_hash, successor, NOW, "10.0.0.1"):
                return False
            await asyncio.sleep(0)  # a yield, so that the other unit of work runs its write
            try:
                await uow.commit()
            except Conflict:  # the in-memory adapter checks its conditional writes at commit
                return False
            return True

    results = await asyncio.gather(*(rotate(successor) for successor in successors))

    assert sorted(results) == [False, True]
    winner = successors[results.index(True)]
    async with uows() as uow:
        assert await uow.sessions.find_token(winner.token_hash) is not None
        assert await uow.sessions.find_token(successors[results.index(False)].token_hash) is None


async def test_ending_a_session_removes_it_and_all_its_tokens(uows: SessionUowFactory) -> None:
    ada, bob = await add_users(uows, 2)
    session, first = await start(uows, ada)
    second = token_of(session)
    other, _ = await start(uows, ada)
    bobs, _ = await start(uows, bob)
    async with uows() as uow:
        await uow.sessions.rotate(first.token_hash, second, NOW, "10.0.0.1")
        await uow.commit()

    async with uows() as uow:
        assert await uow.sessions.user_in_session(id_of(bob), session.id) is None  # not Bob's
        assert not await uow.sessions.end(session.id, id_of(bob))  # not Bob's
        assert await uow.sessions.end(session.id, id_of(ada))
        assert not await uow.sessions.end(session.id)  # gone already
        await uow.commit()

    async with uows() as uow:
        assert await uow.sessions.find_token(first.token_hash) is None
        assert await uow.sessions.find_token(second.token_hash) is None
        assert await uow.sessions.user_in_session(id_of(ada), session.id) is None  # ended
        assert [s.id for s in await uow.sessions.list_for_user(id_of(ada))] == [other.id]
        assert await uow.sessions.end_all(id_of(ada)) == 1
        await uow.commit()
    async with uows() as uow:
        assert await uow.sessions.list_for_user(id_of(ada)) == []
        assert await uow.sessions.get(bobs.id) == bobs


async def test_leaving_without_commit_keeps_the_sessions(uows: SessionUowFactory) -> None:
    ada, session, _ = await signed_in(uows)
    async with uows() as uow:
        await uow.sessions.end_all(id_of(ada))
    async with uows() as uow:
        assert await uow.sessions.get(session.id) == session


async def test_a_users_sessions_go_with_the_user(uows: SessionUowFactory) -> None:
    ada, session, token = await signed_in(uows)
    async with uows() as uow:
        await uow.users.delete(id_of(ada))
        await uow.commit()
    async with uows() as uow:
        assert await uow.sessions.get(session.id) is None
        assert await uow.sessions.find_token(token.token_hash) is None


async def test_prune_removes_only_the_users_expired_and_idle_sessions(uows: SessionUowFactory) -> None:
    ada, bob = await add_users(uows, 2)
    old, _ = await start(uows, ada, NOW - timedelta(days=31))  # past its absolute end
    idle, _ = await start(uows, ada, NOW - timedelta(days=8))  # unused for 8 days
    fresh, _ = await start(uows, ada, NOW - timedelta(days=1))
    bobs, _ = await start(uows, bob, NOW - timedelta(days=31))

    async with uows() as uow:
        await uow.sessions.prune(id_of(ada), NOW, timedelta(days=7))
        await uow.commit()

    async with uows() as uow:
        assert [s.id for s in await uow.sessions.list_for_user(id_of(ada))] == [fresh.id]
        assert await uow.sessions.get(bobs.id) == bobs
    assert old.id != idle.id


async def test_roles_are_changed_by_a_conditional_write_only(uows: SessionUowFactory) -> None:
    (ada,) = await add_users(uows, 1)
    async with uows() as uow:
        assert await uow.users.set_role(id_of(ada), Role.MODERATOR, if_role=Role.MEMBER)
        assert not await uow.users.set_role(id_of(ada), Role.ADMIN, if_role=Role.MEMBER)  # it changed
        assert not await uow.users.set_role(123_456, Role.ADMIN, if_role=Role.MEMBER)
        await uow.commit()
    async with uows() as uow:
        stored = await uow.users.get(id_of(ada))
    assert stored is not None
    assert stored.role is Role.MODERATOR


async def test_suspension_and_stamp_writes_are_stored_and_a_profile_update_keeps_them(
    uows: SessionUowFactory,
) -> None:
    (ada,) = await add_users(uows, 1)
    suspension = Suspension.given("spam", NOW)
    async with uows() as uow:
        stale = await uow.users.get(id_of(ada))  # read before the admin's writes
        assert await uow.users.set_suspension(id_of(ada), suspension)
        assert await uow.users.set_role(id_of(ada), Role.ADMIN, if_role=Role.MEMBER)
        assert await uow.users.rotate_credentials_stamp(id_of(ada), "new-stamp")
        assert not await uow.users.set_suspension(123_456, suspension)
        await uow.commit()
    assert stale is not None
    async with uows() as uow:  # a profile change written from the stale read
        await uow.users.update(stale.changed(name="Ada L"))
        await uow.commit()

    async with uows() as uow:
        stored = await uow.users.get(id_of(ada))
        locked = await uow.users.lock(id_of(ada), 123_456)
    assert stored is not None
    assert (stored.name, stored.role, stored.suspension) == ("Ada L", Role.ADMIN, suspension)
    assert locked == {id_of(ada): stored}
    async with uows() as uow:
        await uow.users.set_suspension(id_of(ada), None)
        await uow.commit()
    async with uows() as uow:
        reinstated = await uow.users.get(id_of(ada))
    assert reinstated is not None
    assert reinstated.suspension is None


async def test_the_audit_log_is_written_with_its_unit_of_work_and_paged(uows: SessionUowFactory) -> None:
    entries = [
        AuditEntry(
            AuditAction.USER_SUSPENDED, f"user:{i}", NOW, actor_id=1, reason="spam", request_id=f"r{i}"
        )
        for i in range(5)
    ]
    async with uows() as uow:
        await uow.audit.add(AuditEntry(AuditAction.ROLE_CHANGED, "user:9", NOW, actor_id=None))
    async with uows() as uow:  # not committed: nothing
        assert (await uow.audit.list(PageRequest())).items == []
    async with uows() as uow:
        for entry in entries:
            await uow.audit.add(entry)
        await uow.commit()

    seen: list[AuditEntry] = []
    after = 0
    while True:
        async with uows() as uow:
            page = await uow.audit.list(PageRequest(limit=2, after=after))
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert [(e.target, e.request_id, e.at) for e in seen] == [(e.target, e.request_id, e.at) for e in entries]
    assert [e.id for e in seen] == sorted(id_of_entry(e) for e in seen)


def id_of_entry(entry: AuditEntry) -> int:
    assert entry.id is not None
    return entry.id
