"""Moderation and administration use cases: the user list and the audit log for admins, role changes,
suspension and reinstatement, and the command line's role grant. Every change writes its audit entry
in the unit of work of the change itself: both are committed, or neither."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from application.errors import Raises
from application.events import USER_REINSTATED, USER_SUSPENDED
from application.pagination import Page, PageRequest
from application.ports.audit import AuditAction, AuditEntry
from application.ports.clock import Clock
from application.ports.units_of_work import ReadUnitOfWork, UnitOfWork
from application.sessions import end_every_session
from domain.errors import Conflict, InvalidCredentials, ValidationError
from domain.moderation import AdminRequired, CannotManageSelf, check_is_admin, check_may_manage
from domain.roles import Role
from domain.users import Email, Suspension, User, UserNotFound


class RoleChangedMeanwhile(
    Conflict, message="The user's role was changed by someone else meanwhile; read it and retry"
):
    """Another admin changed the role between the check and the write."""


def _target(user_id: int) -> str:
    return f"user:{user_id}"


async def _actor_and_target(uow: UnitOfWork, actor_id: int, target_id: int) -> tuple[User, User]:
    """Both users, their rows locked (in id order) until the unit of work ends, so that the rules are
    judged on rows no concurrent change can alter: two admins demoting each other at once are taken
    one after the other, and the second is no longer an admin."""
    locked = await uow.users.lock(actor_id, target_id)
    actor = locked.get(actor_id)
    if actor is None:
        raise InvalidCredentials()  # the caller's account is gone
    check_is_admin(actor)  # before saying whether the target exists
    target = locked.get(target_id)
    if target is None:
        raise UserNotFound(target_id)
    check_may_manage(actor, target)
    return actor, target


async def audit_deletion_by_another(
    uow: UnitOfWork,
    action: AuditAction,
    target: str,
    caller: User,
    author_id: int,
    at: datetime,
    request_id: str | None,
    context: str = "",
) -> None:
    """Write to the audit log, in the deletion's unit of work, that a moderator or admin deleted what
    `author_id` wrote (`target`, with `context` naming where it was); an author's own deletion is not
    audited."""
    if caller.id == author_id:
        return
    reason = f"by {caller.role.value}; author user:{author_id}{context}"
    await uow.audit.add(
        AuditEntry(action, target, at, actor_id=caller.id, reason=reason, request_id=request_id)
    )


@dataclass(frozen=True, slots=True)
class ListUsersAsAdmin:
    """Every user with email, role and suspension, keyset-paged; admins only."""

    raises: ClassVar[Raises] = (AdminRequired,)

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, actor: User, page: PageRequest) -> Page[User]:
        check_is_admin(actor)
        async with self.new_read_uow() as uow:
            return await uow.users.list(page)


@dataclass(frozen=True, slots=True)
class ReadAuditLog:
    """The audit log in id order, keyset-paged; admins only."""

    raises: ClassVar[Raises] = (AdminRequired,)

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, actor: User, page: PageRequest) -> Page[AuditEntry]:
        check_is_admin(actor)
        async with self.new_read_uow() as uow:
            return await uow.audit.list(page)


@dataclass(frozen=True, slots=True)
class ChangeRole:
    """An admin gives another user a role. Two admins changing one role at once: the write is
    conditional on the role the change was judged against, so the second finds it changed and gets a
    Conflict (unless it asked for the role the first set): every answer agrees with the final row."""

    raises: ClassVar[Raises] = (
        InvalidCredentials,
        AdminRequired,
        UserNotFound,
        CannotManageSelf,
        RoleChangedMeanwhile,
    )

    new_uow: Callable[[], UnitOfWork]
    clock: Clock

    async def __call__(
        self, actor_id: int, target_id: int, role: Role, request_id: str | None = None
    ) -> User:
        async with self.new_uow() as uow:
            before = await uow.users.get(target_id)  # the role the change is judged against
            _, target = await _actor_and_target(uow, actor_id, target_id)
            if target.role is role:
                return target
            if (
                before is None
                or target.role is not before.role
                or not await uow.users.set_role(target_id, role, if_role=target.role)
            ):
                raise RoleChangedMeanwhile()
            await uow.audit.add(
                AuditEntry(
                    AuditAction.ROLE_CHANGED,
                    _target(target_id),
                    self.clock.now(),
                    actor_id=actor_id,
                    reason=f"{before.role.value} -> {role.value}",
                    request_id=request_id,
                )
            )
            await uow.commit()
        target.role = role
        return target


@dataclass(frozen=True, slots=True)
class SuspendUser:
    """An admin suspends another user, giving a reason: every session of theirs ends at once, and
    they cannot sign in until reinstated. Suspending a suspended user changes nothing."""

    raises: ClassVar[Raises] = (
        ValidationError,
        InvalidCredentials,
        AdminRequired,
        UserNotFound,
        CannotManageSelf,
    )

    new_uow: Callable[[], UnitOfWork]
    clock: Clock

    async def __call__(
        self, actor_id: int, target_id: int, reason: str, request_id: str | None = None
    ) -> User:
        suspension = Suspension.given(reason, self.clock.now())
        async with self.new_uow() as uow:
            _, target = await _actor_and_target(uow, actor_id, target_id)
            if target.suspension is not None:
                return target
            await uow.users.set_suspension(target_id, suspension)
            target.suspension, target.version = suspension, target.version + 1  # its row is locked
            await uow.events.add(USER_SUSPENDED, target)
            await end_every_session(uow, target_id)
            await uow.audit.add(
                AuditEntry(
                    AuditAction.USER_SUSPENDED,
                    _target(target_id),
                    suspension.since,
                    actor_id=actor_id,
                    reason=suspension.reason,
                    request_id=request_id,
                )
            )
            await uow.commit()
        return target


@dataclass(frozen=True, slots=True)
class ReinstateUser:
    """An admin lifts another user's suspension; they may sign in again. A user not suspended is left
    as they are."""

    raises: ClassVar[Raises] = (InvalidCredentials, AdminRequired, UserNotFound, CannotManageSelf)

    new_uow: Callable[[], UnitOfWork]
    clock: Clock

    async def __call__(self, actor_id: int, target_id: int, request_id: str | None = None) -> User:
        async with self.new_uow() as uow:
            _, target = await _actor_and_target(uow, actor_id, target_id)
            if target.suspension is None:
                return target
            await uow.users.set_suspension(target_id, None)
            target.suspension, target.version = None, target.version + 1  # its row is locked
            await uow.events.add(USER_REINSTATED, target)
            await uow.audit.add(
                AuditEntry(
                    AuditAction.USER_REINSTATED,
                    _target(target_id),
                    self.clock.now(),
                    actor_id=actor_id,
                    request_id=request_id,
                )
            )
            await uow.commit()
        return target


@dataclass(frozen=True, slots=True)
class GrantRole:
    """The operator's way to a role, from the command line (the first admin): no actor, no rule but
    the role's validity; audited like an admin's change."""

    raises: ClassVar[Raises] = (ValidationError, UserNotFound)

    new_uow: Callable[[], UnitOfWork]
    clock: Clock

    async def __call__(self, email: str, role: str) -> User:
        new_role = parse_role(role)
        async with self.new_uow() as uow:
            user = await uow.users.get_by_email(Email(email))
            if user is None or user.id is None:
                raise UserNotFound(email)
            locked = (await uow.users.lock(user.id))[user.id]
            if locked.role is not new_role:
                await uow.users.set_role(user.id, new_role, if_role=locked.role)
                await uow.audit.add(
                    AuditEntry(
                        AuditAction.ROLE_CHANGED,
                        _target(user.id),
                        self.clock.now(),
                        actor_id=None,
                        reason=f"{locked.role.value} -> {new_role.value} (command line)",
                    )
                )
                await uow.commit()
        locked.role = new_role
        return locked


def parse_role(value: str) -> Role:
    """A role by name; ValidationError for anything but member, moderator and admin."""
    try:
        return Role(value)
    except ValueError:
        raise ValidationError("role", "role must be one of member, moderator, admin") from None
