"""User use cases: register, look up and list users."""

from collections.abc import Callable
from dataclasses import dataclass

from application.pagination import Page, PageRequest
from application.ports import Clock, PasswordHasher, UnitOfWork
from domain.errors import EmailAlreadyRegistered, NotFound
from domain.users import Email, User, check_password, user_name


@dataclass(frozen=True, slots=True)
class RegisterUser:
    """Register a user with a unique email; the password is stored only as a hash."""

    uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    clock: Clock

    async def __call__(self, name: str, email: str, password: str) -> User:
        user_email = Email(email)
        user_name(name)
        check_password(password)
        async with self.uow() as uow:  # cheap early refusal, before paying for the hash
            if await uow.users.get_by_email(user_email):
                raise EmailAlreadyRegistered(user_email.value)
        password_hash = await self.hasher.hash(password)
        async with self.uow() as uow:
            # The unique index guards the race between the check above and this insert.
            user = await uow.users.add(User.register(name, user_email, password_hash, self.clock.now()))
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class GetUser:
    """One user by id; NotFound("User") when there is none."""

    uow: Callable[[], UnitOfWork]

    async def __call__(self, user_id: int) -> User:
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("User", user_id)
        return user


@dataclass(frozen=True, slots=True)
class ListUsers:
    """Users in id order, one keyset page at a time."""

    uow: Callable[[], UnitOfWork]

    async def __call__(self, page: PageRequest) -> Page[User]:
        async with self.uow() as uow:
            return await uow.users.list(page)
