"""User use cases: register, look up, list, change and delete users."""

from collections.abc import Callable
from dataclasses import dataclass

from application.pagination import Page, PageRequest
from application.ports import Clock, PasswordHasher, ReadUnitOfWork, UnitOfWork
from domain.errors import EmailAlreadyRegistered, NotFound, PermissionDenied, ValidationError
from domain.users import Email, User, check_password, user_name


@dataclass(frozen=True, slots=True)
class RegisterUser:
    """Register a user with a unique email; the password is stored only as a hash."""

    new_uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    clock: Clock

    async def __call__(self, name: str, email: str, password: str) -> User:
        user_email = Email(email)
        user_name(name)
        check_password(password)
        async with self.new_uow() as uow:  # cheap early refusal, before paying for the hash
            if await uow.users.get_by_email(user_email):
                raise EmailAlreadyRegistered(user_email.value)
        password_hash = await self.hasher.hash(password)
        async with self.new_uow() as uow:
            # The unique index guards the race between the check above and this insert.
            user = await uow.users.add(User.register(name, user_email, password_hash, self.clock.now()))
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class GetUser:
    """One user by id; NotFound("User") when there is none."""

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, user_id: int) -> User:
        async with self.new_read_uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("User", user_id)
        return user


@dataclass(frozen=True, slots=True)
class ListUsers:
    """Users in id order, one keyset page at a time."""

    new_read_uow: Callable[[], ReadUnitOfWork]

    async def __call__(self, page: PageRequest) -> Page[User]:
        async with self.new_read_uow() as uow:
            return await uow.users.list(page)


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """What a user changes about themselves; None leaves a field as it is. A new password needs the
    current one."""

    name: str | None = None
    email: str | None = None
    password: str | None = None
    current_password: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateProfile:
    """Change one's name, email (unique) or password (proving the current one)."""

    new_uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher

    async def __call__(self, user_id: int, changes: ProfileChanges) -> User:
        new_email = Email(changes.email) if changes.email is not None else None
        if changes.name is not None:
            user_name(changes.name)
        checked_hash = new_hash = None
        if changes.password is not None:
            check_password(changes.password)
            if changes.current_password is None:
                raise ValidationError(
                    "current_password", "current_password is required to change the password"
                )
            async with self.new_uow() as uow:
                current = await uow.users.get(user_id)
            if current is None:
                raise NotFound("User", user_id)
            checked_hash = current.password_hash
            if not await self.hasher.verify(changes.current_password, checked_hash):
                raise PermissionDenied("The current password is incorrect")
            new_hash = await self.hasher.hash(changes.password)
        async with self.new_uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("User", user_id)
            if new_email is not None and new_email != user.email and await uow.users.get_by_email(new_email):
                raise EmailAlreadyRegistered(new_email.value)
            updated = user.changed(name=changes.name, email=new_email, password_hash=new_hash)
            # Written only if the password is still the one verified above: of two changes proving the
            # same current password, one wins and the other is refused.
            if not await uow.users.update(updated, if_password_hash=checked_hash):
                raise PermissionDenied("The current password is incorrect")  # changed meanwhile
            await uow.commit()
        return updated


@dataclass(frozen=True, slots=True)
class DeleteAccount:
    """Delete a user and all their posts, in one transaction."""

    new_uow: Callable[[], UnitOfWork]

    async def __call__(self, user_id: int) -> None:
        async with self.new_uow() as uow:
            if await uow.users.get(user_id) is None:
                raise NotFound("User", user_id)
            await uow.users.delete(user_id)
            await uow.commit()
