"""User use cases: register, look up, list, change and delete users."""

from collections.abc import Callable, Collection
from dataclasses import dataclass, fields, replace
from typing import ClassVar

from application.auth import LOCAL_CLIENT, prove_password
from application.credentials import end_old_credentials
from application.errors import Overloaded, Raises, RateLimited
from application.events import USER_DELETED, USER_REGISTERED, USER_UPDATED
from application.idempotency import Completion
from application.lookups import existing_user
from application.mail import NO_MAIL, Mailing, email_changed_mail
from application.pagination import Page, PageRequest
from application.ports.clock import Clock
from application.ports.security import PasswordHasher
from application.ports.throttling import NO_RATE_LIMIT, RateLimiter, Throttle
from application.ports.units_of_work import ReadUnitOfWork, UnitOfWork
from application.sessions import end_every_session
from domain.errors import EmailAlreadyRegistered, ValidationError
from domain.users import (
    PROFILE_RULES,
    Email,
    PublicProfile,
    User,
    UserChanged,
    UserNotFound,
    WrongPassword,
    check_password,
    checked_profile,
    user_name,
)


@dataclass(frozen=True, slots=True)
class RegisterUser:
    """Register a user with a unique email; the password is stored only as a hash. Each client
    address has a budget of registrations, spent before any hashing. A verification link is mailed
    (through the outbox, in the registration's transaction). With a `completion` (an
    Idempotency-Key), its answer is stored in the same transaction as the user."""

    raises: ClassVar[Raises] = (ValidationError, RateLimited, EmailAlreadyRegistered, Overloaded)

    new_uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    clock: Clock
    limiter: RateLimiter = NO_RATE_LIMIT
    mailing: Mailing = NO_MAIL

    async def __call__(
        self,
        name: str,
        email: str,
        password: str,
        client: str = LOCAL_CLIENT,
        completion: Completion[User] | None = None,
    ) -> User:
        user_email = Email(email)
        user_name(name)
        check_password(password)
        await self.limiter.hit(Throttle.REGISTRATION_PER_ADDRESS, client)
        async with self.new_uow() as uow:  # cheap early refusal, before paying for the hash
            if await uow.users.get_by_email(user_email):
                raise EmailAlreadyRegistered(user_email.value)
        password_hash = await self.hasher.hash(password)
        async with self.new_uow() as uow:
            # The unique index guards the race between the check above and this insert.
            user = await uow.users.add(User.register(name, user_email, password_hash, self.clock.now()))
            await uow.events.add(USER_REGISTERED, user)
            await self.mailing.send_verification(uow, user)
            if completion is not None:
                await completion(uow, user)
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class GetUser:
    """One user's public profile by id; NotFound("User") when there is none."""

    raises: ClassVar[Raises] = (UserNotFound,)

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, user_id: int) -> PublicProfile:
        async with self.new_read_uow() as uow:
            profile = await uow.users.get_profile(user_id)
        if profile is None:
            raise UserNotFound(user_id)
        return profile


@dataclass(frozen=True, slots=True)
class ListUsers:
    """Users' public profiles in id order, one keyset page at a time."""

    raises: ClassVar[Raises] = ()

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, page: PageRequest) -> Page[PublicProfile]:
        async with self.new_read_uow() as uow:
            return await uow.users.list_profiles(page)


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """What a user changes about themselves; None leaves a field as it is. A new password or email
    needs the current password; the other fields are profile fields (domain.users.PROFILE_RULES)."""

    name: str | None = None
    email: str | None = None
    password: str | None = None
    current_password: str | None = None

    def profile(self) -> dict[str, str]:
        """The profile fields given."""
        credentials = ("email", "password", "current_password")
        return {f.name: v for f in fields(self) if f.name not in credentials and (v := getattr(self, f.name))}


# What a user.updated event is published for (a new password alone is no news to other services).
PUBLISHED_CHANGES = (*PROFILE_RULES, "email")


@dataclass(frozen=True, slots=True)
class UpdateProfile:
    """Change one's name, email (unique) or password. A new email or password needs the current
    password: a wrong one counts as a failed login of the account. A new email is unverified: a
    verification link goes to it and a notice to the old one. A new password ends every session
    (application.credentials). With `expected_versions`, only if the user is still at one of them
    (checked by the writing statement): PreconditionFailed otherwise, and nothing is written. A new
    name gives the user's posts and comments a new version (they show it)."""

    raises: ClassVar[Raises] = (
        ValidationError,
        UserNotFound,
        WrongPassword,
        UserChanged,
        EmailAlreadyRegistered,
        RateLimited,
        Overloaded,
    )

    new_uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    limiter: RateLimiter = NO_RATE_LIMIT
    mailing: Mailing = NO_MAIL

    async def __call__(
        self, user_id: int, changes: ProfileChanges, expected_versions: Collection[int] | None = None
    ) -> User:
        new_email = Email(changes.email) if changes.email is not None else None
        checked_profile(changes.profile())
        if changes.password is not None:
            check_password(changes.password)
        checked_hash = new_hash = None
        if changes.password is not None or new_email is not None:
            async with self.new_uow() as uow:
                before = await existing_user(uow.users, user_id)
            if changes.password is not None or new_email != before.email:
                await prove_password(self.limiter, self.hasher, before, changes.current_password)
                checked_hash = before.password_hash
        if changes.password is not None:
            new_hash = await self.hasher.hash(changes.password)
        async with self.new_uow() as uow:
            user = await existing_user(uow.users, user_id)
            if expected_versions is not None and user.version not in expected_versions:
                raise UserChanged()
            if new_email is not None and new_email != user.email and await uow.users.get_by_email(new_email):
                raise EmailAlreadyRegistered(new_email.value)
            updated = user.changed(email=new_email, password_hash=new_hash, **changes.profile())
            # Written only if the password is still the one verified above (of two changes proving the
            # same current password, one wins and the other is refused) and, with `expected_versions`,
            # if no other change came in between.
            version = await uow.users.update(
                updated, if_password_hash=checked_hash, if_version_in=expected_versions
            )
            if version is None:
                current = await existing_user(uow.users, user_id)
                if expected_versions is not None and current.version not in expected_versions:
                    raise UserChanged()
                raise WrongPassword()  # changed meanwhile
            if updated.name != user.name:  # posts are shown with their author's name
                await uow.posts.renew_versions_of_author(user_id)
                await uow.comments.renew_versions_of_author(user_id)
            stored = replace(updated, version=version)
            if new_hash is not None:
                stored = await end_old_credentials(uow, user_id)
            if changed := [
                name for name in PUBLISHED_CHANGES if getattr(stored, name) != getattr(user, name)
            ]:
                await uow.events.add(USER_UPDATED, stored, changed=changed)
            if stored.email != user.email:
                await self.mailing.send_verification(uow, stored)
                await self.mailing.send(uow, email_changed_mail(stored, user.email.value, stored.email.value))
            await uow.commit()
        return stored


@dataclass(frozen=True, slots=True)
class DeleteAccount:
    """Delete a user and all their posts and comments, in one transaction, proving the current password. Every
    session ends with the account."""

    raises: ClassVar[Raises] = (ValidationError, UserNotFound, WrongPassword, RateLimited, Overloaded)

    new_uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    limiter: RateLimiter = NO_RATE_LIMIT

    async def __call__(self, user_id: int, current_password: str | None) -> None:
        async with self.new_uow() as uow:
            user = await existing_user(uow.users, user_id)
        await prove_password(self.limiter, self.hasher, user, current_password)
        async with self.new_uow() as uow:
            await end_every_session(uow, user_id)  # undone with the rest if the deletion is refused
            # Their comments go first, each uncounted on its post; the lock keeps a new one from coming
            # before the account's row goes (taking its comments with it, uncounted).
            await uow.users.lock(user_id)
            await uow.comments.delete_of_author(user_id)
            # Deleted only if the password is still the one proven: a concurrent change wins or loses whole.
            if not await uow.users.delete(user_id, if_password_hash=user.password_hash):
                await existing_user(uow.users, user_id)  # gone meanwhile: NotFound
                raise WrongPassword()  # changed meanwhile
            await uow.events.add(USER_DELETED, user)
            await uow.commit()
