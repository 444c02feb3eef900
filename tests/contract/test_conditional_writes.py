"""Versions and conditional writes (what If-Match rests on), on every adapter: each write increments a
version, and a write conditioned on versions happens only at one of them, decided by the writing
statement itself, so of two concurrent writes expecting one version exactly one succeeds."""

import asyncio
from dataclasses import replace

from domain.posts import Post
from tests.contract.stored import UowFactory, add_posts, add_users
from tests.factories import id_of


async def stored_post(uow_factory: UowFactory, post_id: int) -> Post | None:
    async with uow_factory() as uow:
        return await uow.posts.get(post_id)


async def test_new_users_and_posts_are_at_version_1_and_each_write_increments_it(
    uow_factory: UowFactory,
) -> None:
    (user,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, user)
    assert (user.version, post.version) == (1, 1)

    for expected in (2, 3):
        async with uow_factory() as uow:
            assert await uow.users.update(user.changed(name=f"Name {expected}")) == expected
            assert await uow.posts.update(replace(post, title=f"Title {expected}")) == expected
            await uow.commit()

    async with uow_factory() as uow:
        read_user, read_post = await uow.users.get(id_of(user)), await uow.posts.get_with_author(id_of(post))
    assert read_user is not None
    assert read_post is not None
    assert (read_user.version, read_post.post.version) == (3, 3)


async def test_a_conditional_update_writes_only_at_an_expected_version(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)

    async with uow_factory() as uow:
        assert await uow.posts.update(replace(post, title="Stale"), if_version_in={2, 3}) is None
        assert await uow.posts.update(replace(post, title="Nothing matches"), if_version_in=set()) is None
        assert await uow.posts.update(replace(post, title="Current"), if_version_in={1, 5}) == 2
        await uow.commit()

    assert await stored_post(uow_factory, id_of(post)) == replace(post, title="Current", version=2)


async def test_a_conditional_user_update_writes_only_at_an_expected_version(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    async with uow_factory() as uow:
        assert await uow.users.update(user.changed(name="Stale"), if_version_in={2}) is None
        assert await uow.users.update(user.changed(name="Fresh"), if_version_in={1}) == 2
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.users.get(id_of(user))
    assert stored is not None
    assert (stored.name, stored.version) == ("Fresh", 2)


async def test_a_conditional_delete_removes_only_at_an_expected_version(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)

    async with uow_factory() as uow:
        assert await uow.posts.delete(id_of(post), if_version_in={2}) is False
        await uow.commit()
    assert await stored_post(uow_factory, id_of(post)) == post
    async with uow_factory() as uow:
        assert await uow.posts.delete(id_of(post), if_version_in={1}) is True
        assert await uow.posts.delete(id_of(post)) is False  # gone already
        await uow.commit()
    assert await stored_post(uow_factory, id_of(post)) is None


async def test_renewing_an_authors_posts_increments_only_theirs(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    first, second, others = await add_posts(uow_factory, alice, alice, bob)

    async with uow_factory() as uow:
        await uow.posts.renew_versions_of_author(id_of(alice))
        await uow.commit()

    versions = [(await stored_post(uow_factory, id_of(p))) for p in (first, second, others)]
    assert [p.version if p else None for p in versions] == [2, 2, 1]


async def test_of_two_concurrent_writes_expecting_one_version_exactly_one_succeeds(
    uow_factory: UowFactory,
) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)

    async def edit(title: str) -> int | None:
        # Both expect version 1, as two clients holding one ETag would; however the adapter interleaves
        # them, only the condition in the writing statement can refuse the second.
        async with uow_factory() as uow:
            current = await uow.posts.get(id_of(post))
            assert current is not None
            await asyncio.sleep(0)  # not a wait: a yield, so that the other unit of work runs its read
            version = await uow.posts.update(replace(current, title=title), if_version_in={1})
            await uow.commit()
            return version

    results = await asyncio.gather(edit("First"), edit("Second"))

    assert sorted(results, key=str) == [2, None], results
    stored = await stored_post(uow_factory, id_of(post))
    assert stored is not None
    assert stored.version == 2
    assert stored.title == ("First" if results[0] == 2 else "Second")
