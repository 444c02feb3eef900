"""What the contract suites share: the type of the `uow_factory` fixture, and storing users through it."""

from collections.abc import Callable

from application.ports.units_of_work import UnitOfWork
from domain.users import User
from tests.factories import UserFactory

UowFactory = Callable[[], UnitOfWork]


async def add_users(uow_factory: UowFactory, count: int) -> list[User]:
    async with uow_factory() as uow:
        users = [await uow.users.add(UserFactory()) for _ in range(count)]
        await uow.commit()
    return users
