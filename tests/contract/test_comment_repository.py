"""What every CommentRepository adapter does, and how comments behave with their posts and authors in
a unit of work: each post's comment_count follows every add and removal (a post's deletion, an
account's), concurrent comments all count, and an edit of the post never overwrites the count."""

import asyncio
from dataclasses import replace

import pytest

from application.pagination import PageRequest
from application.ports.comments import Commenter, CommentWithAuthor
from domain.comments import BODY_MAX_LENGTH, Comment
from domain.posts import Post, PostNotFound
from domain.users import User, UserNotFound
from tests.contract.stored import UowFactory, add_posts, add_users
from tests.factories import CommentFactory, id_of

CONCURRENT = 10  # within every adapter's pool


async def add_comments(uow_factory: UowFactory, post: Post, *authors: User) -> list[Comment]:
    """One comment on `post` per author given, in that order, in one unit of work."""
    async with uow_factory() as uow:
        comments = [
            await uow.comments.add(CommentFactory(post_id=id_of(post), author_id=id_of(author)))
            for author in authors
        ]
        await uow.commit()
    return comments


async def count_of(uow_factory: UowFactory, post: Post) -> int:
    """The post's comment_count, read through a fresh unit of work."""
    async with uow_factory() as uow:
        stored = await uow.posts.get(id_of(post))
    assert stored is not None
    return stored.comment_count


async def comments_under(uow_factory: UowFactory, post: Post, limit: int = 100) -> list[Comment]:
    async with uow_factory() as uow:
        page = await uow.comments.list_under(id_of(post), PageRequest(limit=limit))
    return [found.comment for found in page.items]


async def test_add_assigns_ids_and_counts_the_comment_on_its_post(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    post, other = await add_posts(uow_factory, alice, alice)

    first, second = await add_comments(uow_factory, post, bob, alice)

    assert id_of(first) < id_of(second)
    assert (first.version, first.post_id, first.author_id) == (1, id_of(post), id_of(bob))
    async with uow_factory() as uow:
        assert await uow.comments.get(id_of(first)) == first
        assert await uow.comments.get_with_author(id_of(second)) == CommentWithAuthor(
            second, Commenter(id_of(alice), alice.name)
        )
        assert await uow.comments.get(id_of(second) + 1) is None
        assert await uow.comments.get_with_author(id_of(second) + 1) is None
    assert (await count_of(uow_factory, post), await count_of(uow_factory, other)) == (2, 0)


async def test_the_longest_body_and_its_times_round_trip(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)
    async with uow_factory() as uow:
        comment = await uow.comments.add(
            CommentFactory(post_id=id_of(post), author_id=id_of(author), body="é\n" * (BODY_MAX_LENGTH // 2))
        )
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.comments.get(id_of(comment)) == comment


async def test_a_comment_needs_its_post_and_its_author_and_counts_nothing_without(
    uow_factory: UowFactory,
) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)

    async with uow_factory() as uow:
        with pytest.raises(PostNotFound):
            await uow.comments.add(CommentFactory(post_id=id_of(post) + 1, author_id=id_of(author)))
    async with uow_factory() as uow:
        with pytest.raises(UserNotFound):
            await uow.comments.add(CommentFactory(post_id=id_of(post), author_id=id_of(author) + 1))

    assert await comments_under(uow_factory, post) == []
    assert await count_of(uow_factory, post) == 0


async def test_comments_under_a_post_come_oldest_first_with_their_authors_page_by_page(
    uow_factory: UowFactory,
) -> None:
    alice, bob = await add_users(uow_factory, 2)
    post, other = await add_posts(uow_factory, alice, bob)
    comments = await add_comments(uow_factory, post, bob, alice, bob, alice, bob)
    await add_comments(uow_factory, other, alice)

    pages, after = [], 0
    while True:
        async with uow_factory() as uow:
            page = await uow.comments.list_under(id_of(post), PageRequest(limit=2, after=after))
        pages.append(list(page.items))
        if page.next_cursor is None:
            break
        after = page.next_cursor
        assert after == page.items[-1].comment.id

    assert [len(items) for items in pages] == [2, 2, 1]
    listed = [found for items in pages for found in items]
    assert [found.comment for found in listed] == comments
    names = {id_of(alice): alice.name, id_of(bob): bob.name}
    assert [found.author for found in listed] == [
        Commenter(c.author_id, names[c.author_id]) for c in comments
    ]
    async with uow_factory() as uow:
        assert (await uow.comments.list_under(id_of(post) + 5, PageRequest())).items == []


async def test_update_writes_the_body_and_time_and_a_new_version_only_at_an_expected_version(
    uow_factory: UowFactory,
) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)
    (comment,) = await add_comments(uow_factory, post, author)
    edited = replace(comment, body="Edited", updated_at=comment.updated_at.replace(year=2027))

    async with uow_factory() as uow:
        assert await uow.comments.update(edited, if_version_in={2, 3}) is None
        assert await uow.comments.update(replace(edited, id=id_of(comment) + 1)) is None
        assert await uow.comments.update(edited, if_version_in={1}) == 2
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.comments.get(id_of(comment)) == replace(edited, version=2)
    assert await count_of(uow_factory, post) == 1


async def test_delete_removes_and_uncounts_only_at_an_expected_version(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)
    first, second = await add_comments(uow_factory, post, author, author)

    async with uow_factory() as uow:
        assert not await uow.comments.delete(id_of(first), if_version_in={2})
        assert not await uow.comments.delete(id_of(second) + 1)
        assert await uow.comments.delete(id_of(first), if_version_in={1})
        await uow.commit()

    assert await comments_under(uow_factory, post) == [second]
    assert await count_of(uow_factory, post) == 1


async def test_a_rolled_back_comment_is_not_counted(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)
    async with uow_factory() as uow:
        await uow.comments.add(CommentFactory(post_id=id_of(post), author_id=id_of(author)))
        assert (await uow.posts.get(id_of(post)) or post).comment_count == 1  # seen in its own unit of work
    assert await comments_under(uow_factory, post) == []
    assert await count_of(uow_factory, post) == 0


async def test_deleting_a_post_deletes_its_comments(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    post, kept = await add_posts(uow_factory, alice, alice)
    (gone,) = await add_comments(uow_factory, post, bob)
    (stays,) = await add_comments(uow_factory, kept, bob)

    async with uow_factory() as uow:
        assert await uow.posts.delete(id_of(post))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.comments.get(id_of(gone)) is None
        assert await uow.comments.get(id_of(stays)) == stays
    assert await count_of(uow_factory, kept) == 1


async def test_deleting_an_authors_comments_uncounts_each_on_its_post(uow_factory: UowFactory) -> None:
    alice, bob, carol = await add_users(uow_factory, 3)
    first, second = await add_posts(uow_factory, alice, carol)
    await add_comments(uow_factory, first, bob, carol, bob, bob)
    await add_comments(uow_factory, second, bob, alice)

    async with uow_factory() as uow:
        await uow.comments.delete_of_author(id_of(bob))
        assert await uow.users.delete(id_of(bob))
        await uow.commit()

    assert [c.author_id for c in await comments_under(uow_factory, first)] == [id_of(carol)]
    assert [c.author_id for c in await comments_under(uow_factory, second)] == [id_of(alice)]
    assert (await count_of(uow_factory, first), await count_of(uow_factory, second)) == (1, 1)


async def test_deleting_a_user_deletes_their_comments(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    (post,) = await add_posts(uow_factory, alice)
    (comment,) = await add_comments(uow_factory, post, bob)

    async with uow_factory() as uow:
        assert await uow.users.delete(id_of(bob))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.comments.get(id_of(comment)) is None


async def test_renewing_an_authors_versions_touches_their_comments_only(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    (post,) = await add_posts(uow_factory, alice)
    alices, bobs = await add_comments(uow_factory, post, alice, bob)

    async with uow_factory() as uow:
        await uow.comments.renew_versions_of_author(id_of(alice))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.comments.get(id_of(alices)) == replace(alices, version=2)
        assert await uow.comments.get(id_of(bobs)) == bobs


async def comment_concurrently(uow_factory: UowFactory, post: Post, author: User) -> None:
    async with uow_factory() as uow:
        await uow.users.get(id_of(author))  # the use case's read, in the same unit of work
        await asyncio.sleep(0)  # not a wait: a yield, so that the other units of work run theirs
        await uow.comments.add(CommentFactory(post_id=id_of(post), author_id=id_of(author)))
        await asyncio.sleep(0)
        await uow.commit()


async def test_overlapping_comments_and_an_edit_of_the_post_all_count(uow_factory: UowFactory) -> None:
    authors = await add_users(uow_factory, CONCURRENT)
    (post,) = await add_posts(uow_factory, authors[0])

    async def edit_post() -> None:
        async with uow_factory() as uow:
            stored = await uow.posts.get(id_of(post))
            assert stored is not None
            await asyncio.sleep(0)
            assert await uow.posts.update(replace(stored, title="Edited while commented on")) == 2
            await asyncio.sleep(0)
            await uow.commit()

    await asyncio.gather(edit_post(), *(comment_concurrently(uow_factory, post, a) for a in authors))

    async with uow_factory() as uow:
        stored = await uow.posts.get(id_of(post))
    assert stored is not None
    assert (stored.title, stored.version) == ("Edited while commented on", 2)  # a comment is no edit
    assert stored.comment_count == CONCURRENT == len(await comments_under(uow_factory, post))
