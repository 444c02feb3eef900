"""What the contract suites share: the type of the `uow_factory` fixture, storing users and posts through
it, and reading back what was stored."""

from collections.abc import Awaitable, Callable

from application.ports.units_of_work import UnitOfWork
from domain.posts import Post
from domain.users import User
from tests.factories import PostFactory, UserFactory, id_of

UowFactory = Callable[[], UnitOfWork]


async def add_users(uow_factory: UowFactory, count: int) -> list[User]:
    async with uow_factory() as uow:
        users = [await uow.users.add(UserFactory()) for _ in range(count)]
        await uow.commit()
    return users


async def add_posts(uow_factory: UowFactory, *authors: User) -> list[Post]:
    """One post per author given, in that order."""
    async with uow_factory() as uow:
        posts = [await uow.posts.add(PostFactory(author_id=id_of(author))) for author in authors]
        await uow.commit()
    return posts


async def assert_added_in_id_order(
    uow_factory: UowFactory,
    get: Callable[[UnitOfWork, int], Awaitable[User | Post | None]],
    *added: User | Post,
) -> None:
    """The entities added, in the order given, have increasing ids, and `get` reads each back equal
    through a fresh unit of work."""
    ids = [id_of(entity) for entity in added]
    assert ids == sorted(set(ids)), ids
    async with uow_factory() as uow:
        assert [await get(uow, entity_id) for entity_id in ids] == list(added)
