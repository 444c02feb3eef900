"""What every PostRepository adapter does, and how users and posts behave together in a unit of work
(the cascade on user deletion, user updates), whatever stores them."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.pagination import PageRequest
from application.ports.posts import AuthorSummary, PostWithAuthor
from domain.errors import EmailAlreadyRegistered
from domain.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH, Post
from domain.users import Email, UserNotFound
from tests.contract.stored import UowFactory, add_posts, add_users, assert_added_in_id_order
from tests.factories import EPOCH, PostFactory, UserFactory, id_of


async def stored_posts(uow_factory: UowFactory, author_id: int | None = None) -> list[Post]:
    """Every stored post (few enough for one page), read through a fresh unit of work."""
    async with uow_factory() as uow:
        page = await uow.posts.list(PageRequest(limit=100), author_id=author_id)
    assert page.next_cursor is None
    return list(page.items)


async def walk_pages(uow_factory: UowFactory, limit: int, author_id: int | None = None) -> list[list[Post]]:
    """Follow next_cursor from the first page to the last, each page in a unit of work of its own."""
    pages, after = [], 0
    while True:
        async with uow_factory() as uow:
            page = await uow.posts.list(PageRequest(limit=limit, after=after), author_id=author_id)
        assert len(page.items) <= limit
        pages.append(list(page.items))
        if page.next_cursor is None:
            return pages
        assert page.next_cursor == page.items[-1].id
        after = page.next_cursor


async def test_add_assigns_increasing_ids_and_get_returns_an_equal_post(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    posts = await add_posts(uow_factory, author, author)

    await assert_added_in_id_order(uow_factory, lambda uow, post_id: uow.posts.get(post_id), *posts)


async def test_timestamps_round_trip_as_aware_utc_times(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    created = datetime(2026, 3, 4, 5, 6, 7, 891_011, tzinfo=UTC)
    updated = created + timedelta(days=1, microseconds=1)
    async with uow_factory() as uow:
        post = await uow.posts.add(PostFactory(author_id=author.id, created_at=created, updated_at=updated))
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.posts.get(id_of(post))
    assert stored is not None
    assert (stored.created_at, stored.updated_at) == (created, updated)
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.updated_at.utcoffset() == timedelta(0)


async def test_get_and_get_with_author_of_an_unknown_id_are_none(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)
    async with uow_factory() as uow:
        assert await uow.posts.get(id_of(post) + 1) is None
        assert await uow.posts.get_with_author(id_of(post) + 1) is None
        assert await uow.posts.get_with_author(123_456) is None


async def test_get_with_author_returns_the_post_and_its_authors_current_summary(
    uow_factory: UowFactory,
) -> None:
    alice, bob = await add_users(uow_factory, 2)
    alices, bobs = await add_posts(uow_factory, alice, bob)

    async with uow_factory() as uow:
        assert await uow.posts.get_with_author(id_of(alices)) == PostWithAuthor(
            alices, AuthorSummary(id_of(alice), alice.name, alice.created_at)
        )
        assert await uow.posts.get_with_author(id_of(bobs)) == PostWithAuthor(
            bobs, AuthorSummary(id_of(bob), bob.name, bob.created_at)
        )
        await uow.users.update(alice.changed(name="Alice Renamed"))
        await uow.commit()

    async with uow_factory() as uow:
        found = await uow.posts.get_with_author(id_of(alices))
    assert found is not None
    assert found.author == AuthorSummary(id_of(alice), "Alice Renamed", alice.created_at)


@pytest.mark.parametrize("limit", [1, 3, 7, 100])
async def test_keyset_pages_cover_every_post_once_in_id_order(uow_factory: UowFactory, limit: int) -> None:
    alice, bob = await add_users(uow_factory, 2)
    posts = await add_posts(uow_factory, alice, bob, alice, alice, bob, alice, bob)

    pages = await walk_pages(uow_factory, limit)

    assert [post for page in pages for post in page] == posts
    assert len(pages) == -(-len(posts) // limit)  # no empty trailing page


@pytest.mark.parametrize("limit", [1, 2, 4, 100])
async def test_list_by_author_pages_only_that_authors_posts_in_id_order(
    uow_factory: UowFactory, limit: int
) -> None:
    alice, bob = await add_users(uow_factory, 2)
    posts = await add_posts(uow_factory, alice, bob, bob, alice, bob, alice, alice)
    alices = [post for post in posts if post.author_id == alice.id]

    pages = await walk_pages(uow_factory, limit, author_id=alice.id)

    assert [post for page in pages for post in page] == alices
    assert len(pages) == -(-len(alices) // limit)
    assert await stored_posts(uow_factory, author_id=bob.id) == [p for p in posts if p.author_id == bob.id]


async def test_list_by_an_author_without_posts_is_an_empty_last_page(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    await add_posts(uow_factory, alice, alice)
    async with uow_factory() as uow:
        page = await uow.posts.list(PageRequest(limit=1), author_id=bob.id)
        unknown = await uow.posts.list(PageRequest(limit=1), author_id=123_456)
    assert (page.items, page.next_cursor) == ([], None)
    assert (unknown.items, unknown.next_cursor) == ([], None)


async def test_list_after_the_last_id_is_empty(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    posts = await add_posts(uow_factory, author, author)
    async with uow_factory() as uow:
        page = await uow.posts.list(PageRequest(after=id_of(posts[-1])))
        by_author = await uow.posts.list(PageRequest(after=id_of(posts[-1])), author_id=id_of(author))
    assert (page.items, page.next_cursor) == ([], None)
    assert (by_author.items, by_author.next_cursor) == ([], None)


async def test_update_changes_title_content_and_updated_at_of_that_post_only(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    post, other = await add_posts(uow_factory, author, author)
    later = post.updated_at + timedelta(hours=1)
    edited = post.edited(id_of(author), later, title="New title", content="New\ncontent")

    async with uow_factory() as uow:
        await uow.posts.update(edited)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.posts.get(id_of(post))
        untouched = await uow.posts.get(id_of(other))
    assert stored == replace(post, title="New title", content="New\ncontent", updated_at=later, version=2)
    assert untouched == other


async def test_update_does_not_move_a_post_or_rewrite_its_creation_time(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    (post,) = await add_posts(uow_factory, alice)
    tampered = replace(
        post, title="New title", author_id=id_of(bob), created_at=post.created_at + timedelta(days=1)
    )

    async with uow_factory() as uow:
        await uow.posts.update(tampered)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.posts.get(id_of(post))
    assert stored == replace(post, title="New title", version=2)


async def test_update_without_commit_changes_nothing(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    (post,) = await add_posts(uow_factory, author)
    async with uow_factory() as uow:
        await uow.posts.update(replace(post, title="New title"))
    async with uow_factory() as uow:
        assert await uow.posts.get(id_of(post)) == post


async def test_delete_removes_only_that_post(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    first, second, bobs = await add_posts(uow_factory, alice, alice, bob)

    async with uow_factory() as uow:
        await uow.posts.delete(id_of(first))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.posts.get(id_of(first)) is None
    assert await stored_posts(uow_factory) == [second, bobs]


async def test_ids_of_deleted_posts_are_not_reused(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    first, last = await add_posts(uow_factory, author, author)
    async with uow_factory() as uow:
        await uow.posts.delete(id_of(last))
        await uow.commit()

    (newer,) = await add_posts(uow_factory, author)

    assert id_of(newer) > id_of(last)
    assert await stored_posts(uow_factory) == [first, newer]


async def test_ids_of_deleted_users_are_not_reused(uow_factory: UowFactory) -> None:
    first, last = await add_users(uow_factory, 2)
    async with uow_factory() as uow:
        await uow.users.delete(id_of(last))
        await uow.commit()

    (newer,) = await add_users(uow_factory, 1)

    assert id_of(newer) > id_of(last)
    async with uow_factory() as uow:
        assert (await uow.users.list(PageRequest())).items == [first, newer]


async def test_deleting_a_user_deletes_their_posts_and_no_others(uow_factory: UowFactory) -> None:
    alice, bob = await add_users(uow_factory, 2)
    posts = await add_posts(uow_factory, alice, bob, alice)
    alices = [post for post in posts if post.author_id == alice.id]

    async with uow_factory() as uow:
        await uow.users.delete(id_of(alice))
        # Visible inside the same unit of work already.
        assert [await uow.posts.get(id_of(post)) for post in alices] == [None, None]
        assert (await uow.posts.list(PageRequest(), author_id=alice.id)).items == []
        assert await uow.posts.get(id_of(posts[1])) == posts[1]
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.users.get(id_of(alice)) is None
        assert await uow.users.get(id_of(bob)) == bob
        assert [await uow.posts.get_with_author(id_of(post)) for post in alices] == [None, None]
    assert await stored_posts(uow_factory) == [posts[1]]


async def test_deleting_a_user_without_commit_deletes_nothing(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    posts = await add_posts(uow_factory, author, author)

    async with uow_factory() as uow:
        await uow.users.delete(id_of(author))

    async with uow_factory() as uow:
        assert await uow.users.get(id_of(author)) == author
    assert await stored_posts(uow_factory) == posts


async def test_leaving_without_commit_stores_no_post(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    async with uow_factory() as uow:
        post = await uow.posts.add(PostFactory(author_id=author.id))
    async with uow_factory() as uow:
        assert await uow.posts.get(id_of(post)) is None
    assert await stored_posts(uow_factory) == []


async def test_an_error_inside_the_unit_of_work_leaves_no_post_behind(uow_factory: UowFactory) -> None:
    (author,) = await add_users(uow_factory, 1)
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.posts.add(PostFactory(author_id=author.id))
            await uow.users.add(UserFactory())
            raise RuntimeError("boom")

    assert await stored_posts(uow_factory) == []
    async with uow_factory() as uow:
        assert (await uow.users.list(PageRequest())).items == [author]


async def test_user_update_changes_name_email_and_password_hash(uow_factory: UowFactory) -> None:
    user, other = await add_users(uow_factory, 2)
    changed = user.changed(name="New Name", email=Email("new.address@example.org"), password_hash="new-hash")

    async with uow_factory() as uow:
        await uow.users.update(changed)
        await uow.commit()
    changed = replace(changed, version=2)

    async with uow_factory() as uow:
        assert await uow.users.get(id_of(user)) == changed
        assert await uow.users.get_by_email(Email("new.address@example.org")) == changed
        assert await uow.users.get_by_email(user.email) is None
        assert await uow.users.get(id_of(other)) == other


async def test_user_update_keeping_its_own_email_is_allowed(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    changed = user.changed(name="New Name", email=Email(user.email.value.upper()))
    async with uow_factory() as uow:
        await uow.users.update(changed)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.users.get(id_of(user)) == replace(changed, version=2)


async def test_user_update_to_a_taken_email_raises_and_changes_neither_user(uow_factory: UowFactory) -> None:
    first, second = await add_users(uow_factory, 2)

    with pytest.raises(EmailAlreadyRegistered):
        async with uow_factory() as uow:
            await uow.users.update(second.changed(name="Renamed", email=Email(first.email.value.upper())))
            await uow.commit()

    async with uow_factory() as uow:
        assert await uow.users.get(id_of(first)) == first
        assert await uow.users.get(id_of(second)) == second


TEXTS = {
    "maximum lengths": ("T" * TITLE_MAX_LENGTH, "c" * CONTENT_MAX_LENGTH),
    "maximum lengths, non-ASCII": (
        "é" * (TITLE_MAX_LENGTH - 1) + "😀",
        "字" * (CONTENT_MAX_LENGTH - 1) + "🎉",
    ),
    "non-ASCII": ("Crème brûlée 🍮 — 東京", "Ünïcödé ✓, emoji 👩‍💻🇫🇷, CJK 漢字かなカナ한글, RTL שלום"),
    "whitespace kept as written": (
        "Spaces  inside  the title",
        "  leading spaces\n\tindented\r\nwindows line\n\ntrailing \n",
    ),
}


@pytest.mark.parametrize(("title", "content"), TEXTS.values(), ids=TEXTS.keys())
async def test_text_round_trips_unchanged(uow_factory: UowFactory, title: str, content: str) -> None:
    (author,) = await add_users(uow_factory, 1)
    async with uow_factory() as uow:
        # Post.write checks the domain rules
        post = await uow.posts.add(Post.write(id_of(author), title, content, EPOCH))
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.posts.get(id_of(post))
    assert stored is not None
    assert (stored.title, stored.content) == (title, content)
    assert (len(stored.title), len(stored.content)) == (len(title), len(content))


async def test_a_post_of_an_unknown_author_is_refused_as_not_found(uow_factory: UowFactory) -> None:
    with pytest.raises(UserNotFound) as caught:
        async with uow_factory() as uow:
            await uow.posts.add(PostFactory(author_id=4242))
            await uow.commit()
    assert caught.value.key == 4242
    async with uow_factory() as uow:
        assert (await uow.posts.list(PageRequest())).items == []
