"""Use cases with expected versions (If-Match below HTTP): a stale version is PreconditionFailed and
nothing is written; missing resources and foreign posts keep their own errors; a rename gives the
author's posts a new version."""

import pytest

from application.posts import CreatePost, DeletePost, GetPost, PostEdit, UpdatePost
from application.users import GetUser, ProfileChanges, UpdateProfile
from domain.errors import NotFound, PermissionDenied, PreconditionFailed
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from tests.factories import UserFactory, id_of
from tests.fakes import FakeHasher, FixedClock


@pytest.fixture
async def ada(store: MemoryStore) -> int:
    async with InMemoryUnitOfWork(store) as uow:
        user = await uow.users.add(UserFactory(name="Ada"))
        await uow.commit()
    return id_of(user)


@pytest.fixture
async def post_id(store: MemoryStore, ada: int, clock: FixedClock) -> int:
    return id_of(await CreatePost(lambda: InMemoryUnitOfWork(store), clock)(ada, "Title", "Content"))


async def test_an_edit_at_the_expected_version_returns_the_next_one(
    store: MemoryStore, ada: int, post_id: int, clock: FixedClock
) -> None:
    update = UpdatePost(lambda: InMemoryUnitOfWork(store), clock)

    first = await update(ada, post_id, PostEdit(title="One"), expected_versions={1})
    second = await update(ada, post_id, PostEdit(title="Two"))

    assert (first.version, second.version) == (2, 3)


async def test_a_stale_version_writes_nothing(
    store: MemoryStore, ada: int, post_id: int, clock: FixedClock
) -> None:
    new_uow = lambda: InMemoryUnitOfWork(store)  # noqa: E731
    await UpdatePost(new_uow, clock)(ada, post_id, PostEdit(title="Second"))

    with pytest.raises(PreconditionFailed):
        await UpdatePost(new_uow, clock)(ada, post_id, PostEdit(title="Lost"), expected_versions={1})
    with pytest.raises(PreconditionFailed):
        await DeletePost(new_uow, clock)(ada, post_id, expected_versions={1})

    found = await GetPost(new_uow)(post_id)
    assert (found.post.title, found.post.version) == ("Second", 2)
    await DeletePost(new_uow, clock)(ada, post_id, expected_versions={2})
    with pytest.raises(NotFound):
        await GetPost(new_uow)(post_id)


async def test_missing_posts_and_other_authors_keep_their_errors(
    store: MemoryStore, ada: int, post_id: int, clock: FixedClock
) -> None:
    new_uow = lambda: InMemoryUnitOfWork(store)  # noqa: E731
    with pytest.raises(NotFound):
        await UpdatePost(new_uow, clock)(ada, 999, PostEdit(title="x"), expected_versions=set())
    with pytest.raises(PermissionDenied):
        await UpdatePost(new_uow, clock)(ada + 1, post_id, PostEdit(title="x"), expected_versions=set())
    async with InMemoryUnitOfWork(store) as uow:
        bob = id_of(await uow.users.add(UserFactory(name="Bob")))
        await uow.commit()
    with pytest.raises(PermissionDenied):
        await DeletePost(new_uow, clock)(bob, post_id, expected_versions=set())


async def test_a_profile_change_at_a_stale_version_writes_nothing_and_a_rename_renews_posts(
    store: MemoryStore, ada: int, post_id: int
) -> None:
    new_uow = lambda: InMemoryUnitOfWork(store)  # noqa: E731
    update = UpdateProfile(new_uow, FakeHasher())

    renamed = await update(ada, ProfileChanges(name="Ada L."), expected_versions={1})
    with pytest.raises(PreconditionFailed):
        await update(ada, ProfileChanges(name="Lost"), expected_versions={1})

    assert renamed.version == 2
    assert (await GetUser(new_uow)(ada)).name == "Ada L."
    assert (await GetPost(new_uow)(post_id)).post.version == 2  # it shows the author's new name
