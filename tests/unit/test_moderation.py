"""Moderation and admin use cases on the in-memory adapters: who may do what to whom, and the audit
entry each change writes with it."""

import pytest

from application.moderation import (
    ChangeRole,
    GrantRole,
    ListUsersAsAdmin,
    ReadAuditLog,
    ReinstateUser,
    SuspendUser,
)
from application.pagination import PageRequest
from application.ports.audit import AuditAction
from application.posts import CreatePost, DeletePost
from application.users import RegisterUser
from domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from domain.roles import Role
from domain.users import User
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.memory.users import USERS
from tests.factories import id_of
from tests.fakes import FakeHasher, FixedClock


@pytest.fixture
def people(uow_factory, hasher: FakeHasher, clock: FixedClock, store: MemoryStore):
    """Register a user per role; returns their ids by role name."""

    async def make() -> dict[str, int]:
        register = RegisterUser(uow_factory, hasher, clock)
        ids = {}
        for name in ("member", "other", "moderator", "admin", "admin2"):
            user = await register(name.title(), f"{name}@example.com", "long enough")
            ids[name] = id_of(user)
        for name, role in (("moderator", Role.MODERATOR), ("admin", Role.ADMIN), ("admin2", Role.ADMIN)):
            store.users[ids[name]].role = role
        return ids

    return make


def user(store: MemoryStore, user_id: int) -> User:
    found: User = store.users[user_id]
    return found


async def test_moderators_and_admins_delete_any_post_and_it_is_audited(
    people, uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    ids = await people()
    create = CreatePost(uow_factory, clock)
    first, second, own = [await create(ids["member"], f"Post {i}", "Body") for i in range(3)]

    await DeletePost(uow_factory, clock)(ids["moderator"], id_of(first), request_id="req-1")
    await DeletePost(uow_factory, clock)(ids["admin"], id_of(second))
    await DeletePost(uow_factory, clock)(ids["member"], id_of(own))  # their own: no audit entry

    assert store.posts == {}
    assert [(e.action, e.target, e.actor_id, e.request_id) for e in store.audit.values()] == [
        (AuditAction.POST_DELETED, f"post:{first.id}", ids["moderator"], "req-1"),
        (AuditAction.POST_DELETED, f"post:{second.id}", ids["admin"], None),
    ]


async def test_members_delete_only_their_own_posts(people, uow_factory, clock, store: MemoryStore) -> None:
    ids = await people()
    post = await CreatePost(uow_factory, clock)(ids["member"], "Title", "Body")
    with pytest.raises(PermissionDenied):
        await DeletePost(uow_factory, clock)(ids["other"], id_of(post))
    assert list(store.posts) == [post.id]
    assert store.audit == {}


async def test_an_admin_suspends_and_reinstates_with_audit(
    people, uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    ids = await people()
    suspended = await SuspendUser(uow_factory, clock)(ids["admin"], ids["member"], " spam ", "req-2")
    assert suspended.suspension is not None
    assert (suspended.suspension.reason, suspended.suspension.since) == ("spam", clock.now())
    assert user(store, ids["member"]).suspended
    again = await SuspendUser(uow_factory, clock)(ids["admin"], ids["member"], "more spam")
    assert again.suspension is not None
    assert again.suspension.reason == "spam"

    clock.advance(days=1)
    reinstated = await ReinstateUser(uow_factory, clock)(ids["admin"], ids["member"], "req-3")
    assert not reinstated.suspended
    assert not user(store, ids["member"]).suspended

    assert [(e.action, e.target, e.actor_id, e.reason, e.request_id) for e in store.audit.values()] == [
        (AuditAction.USER_SUSPENDED, f"user:{ids['member']}", ids["admin"], "spam", "req-2"),
        (AuditAction.USER_REINSTATED, f"user:{ids['member']}", ids["admin"], None, "req-3"),
    ]


@pytest.mark.parametrize("actor", ["member", "moderator"])
async def test_only_admins_suspend_change_roles_and_read_admin_lists(
    people, uow_factory, clock, store: MemoryStore, actor: str
) -> None:
    ids = await people()
    with pytest.raises(PermissionDenied):
        await SuspendUser(uow_factory, clock)(ids[actor], ids["other"], "spam")
    with pytest.raises(PermissionDenied):
        await ReinstateUser(uow_factory, clock)(ids[actor], ids["other"])
    with pytest.raises(PermissionDenied):
        await ChangeRole(uow_factory, clock)(ids[actor], ids["other"], Role.ADMIN)
    with pytest.raises(PermissionDenied):  # not told whether a user exists
        await SuspendUser(uow_factory, clock)(ids[actor], 999, "spam")
    with pytest.raises(PermissionDenied):
        await ListUsersAsAdmin(uow_factory)(user(store, ids[actor]), PageRequest())
    with pytest.raises(PermissionDenied):
        await ReadAuditLog(uow_factory)(user(store, ids[actor]), PageRequest())
    assert not user(store, ids["other"]).suspended
    assert user(store, ids["other"]).role is Role.MEMBER
    assert store.audit == {}


async def test_an_admin_never_demotes_or_suspends_themselves(people, uow_factory, clock, store) -> None:
    ids = await people()
    with pytest.raises(PermissionDenied):
        await ChangeRole(uow_factory, clock)(ids["admin"], ids["admin"], Role.MEMBER)
    with pytest.raises(PermissionDenied):
        await SuspendUser(uow_factory, clock)(ids["admin"], ids["admin"], "oops")
    assert user(store, ids["admin"]).role is Role.ADMIN
    assert not user(store, ids["admin"]).suspended


async def test_role_changes_are_audited_and_take_effect(
    people, uow_factory, clock, store: MemoryStore
) -> None:
    ids = await people()
    changed = await ChangeRole(uow_factory, clock)(ids["admin"], ids["member"], Role.MODERATOR, "req-4")
    assert changed.role is Role.MODERATOR is user(store, ids["member"]).role
    same = await ChangeRole(uow_factory, clock)(ids["admin"], ids["member"], Role.MODERATOR)
    assert same.role is Role.MODERATOR
    (entry,) = store.audit.values()  # the no-op wrote nothing
    assert (entry.action, entry.reason, entry.request_id) == (
        AuditAction.ROLE_CHANGED,
        "member -> moderator",
        "req-4",
    )
    post = await CreatePost(uow_factory, clock)(ids["other"], "Title", "Body")
    await DeletePost(uow_factory, clock)(ids["member"], id_of(post))  # a moderator now


async def test_a_demoted_admin_can_no_longer_administer(
    people, uow_factory, clock, store: MemoryStore
) -> None:
    ids = await people()
    await ChangeRole(uow_factory, clock)(ids["admin2"], ids["admin"], Role.MEMBER)
    with pytest.raises(PermissionDenied):
        await ChangeRole(uow_factory, clock)(ids["admin"], ids["admin2"], Role.MEMBER)
    assert user(store, ids["admin2"]).role is Role.ADMIN


async def test_a_role_change_judged_on_a_role_changed_meanwhile_is_a_conflict(
    people, clock, store: MemoryStore
) -> None:
    ids = await people()

    class ChangedMeanwhile(InMemoryUnitOfWork):
        """Another admin's change commits between this change's first read and its locked read."""

        async def __aenter__(self):
            entered = await super().__aenter__()
            original = self.users.lock

            async def lock(*user_ids: int) -> dict[int, User]:
                self.table(USERS).rows[ids["member"]].role = Role.ADMIN
                return await original(*user_ids)

            self.users.lock = lock  # type: ignore[method-assign]
            return entered

    with pytest.raises(Conflict):
        await ChangeRole(lambda: ChangedMeanwhile(store), clock)(ids["admin"], ids["member"], Role.MODERATOR)
    assert store.audit == {}


async def test_missing_users_and_unknown_roles(people, uow_factory, clock, store: MemoryStore) -> None:
    ids = await people()
    with pytest.raises(NotFound):
        await SuspendUser(uow_factory, clock)(ids["admin"], 999, "spam")
    with pytest.raises(NotFound):
        await ChangeRole(uow_factory, clock)(ids["admin"], 999, Role.ADMIN)
    with pytest.raises(ValidationError):
        await GrantRole(uow_factory, clock)("member@example.com", "superuser")
    with pytest.raises(NotFound):
        await GrantRole(uow_factory, clock)("nobody@example.com", "admin")
    assert store.audit == {}


async def test_the_command_line_grants_a_role_audited_without_an_actor(
    people, uow_factory, clock, store: MemoryStore
) -> None:
    ids = await people()
    granted = await GrantRole(uow_factory, clock)("MEMBER@example.com", "admin")
    assert granted.role is Role.ADMIN is user(store, ids["member"]).role
    (entry,) = store.audit.values()
    assert (entry.actor_id, entry.action, entry.target) == (
        None,
        AuditAction.ROLE_CHANGED,
        f"user:{ids['member']}",
    )


async def test_admin_lists_show_every_user_and_the_audit_log_in_pages(
    people, uow_factory, clock, store: MemoryStore
) -> None:
    ids = await people()
    admin = user(store, ids["admin"])
    for target in ("member", "other"):
        await SuspendUser(uow_factory, clock)(ids["admin"], ids[target], "spam")

    users = await ListUsersAsAdmin(uow_factory)(admin, PageRequest(limit=3))
    assert [u.id for u in users.items] == [ids["member"], ids["other"], ids["moderator"]]
    assert users.items[0].suspended
    assert users.next_cursor == ids["moderator"]
    first = await ReadAuditLog(uow_factory)(admin, PageRequest(limit=1))
    rest = await ReadAuditLog(uow_factory)(admin, PageRequest(limit=1, after=first.next_cursor or 0))
    assert [e.target for e in [*first.items, *rest.items]] == [
        f"user:{ids['member']}",
        f"user:{ids['other']}",
    ]
    assert rest.next_cursor is None
