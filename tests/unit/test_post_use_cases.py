from dataclasses import replace

import pytest

from application.errors import RateLimited
from application.pagination import PageRequest
from application.ports.posts import AuthorSummary
from application.ports.throttling import Throttle
from application.posts import (
    CreatePost,
    DeletePost,
    EmailNotVerified,
    GetPost,
    ListPosts,
    ListUserPosts,
    PostEdit,
    UpdatePost,
)
from application.users import DeleteAccount
from domain.errors import NotFound, PermissionDenied, ValidationError
from domain.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from tests.factories import UserFactory, id_of
from tests.fakes import FakeHasher, FixedClock


async def stored_user(store: MemoryStore, name: str) -> int:
    async with InMemoryUnitOfWork(store) as uow:
        user = await uow.users.add(UserFactory(name=name))
        await uow.commit()
    return id_of(user)


@pytest.fixture
async def ada(store: MemoryStore) -> int:
    return await stored_user(store, "Ada")


@pytest.fixture
async def bob(store: MemoryStore) -> int:
    return await stored_user(store, "Bob")


@pytest.fixture
def create(uow_factory, clock: FixedClock) -> CreatePost:
    return CreatePost(uow_factory, clock)


async def test_create_post_trims_the_title_and_stamps_both_times(
    create: CreatePost, ada: int, store: MemoryStore, clock: FixedClock
) -> None:
    post = await create(ada, "  Hello  ", "Body\nwith lines")

    assert store.posts == {post.id: post}
    assert (post.title, post.content, post.author_id) == ("Hello", "Body\nwith lines", ada)
    assert post.created_at == post.updated_at == clock.now()


@pytest.mark.parametrize(
    ("title", "content", "field"),
    [
        ("", "body", "title"),
        ("   ", "body", "title"),
        ("t" * (TITLE_MAX_LENGTH + 1), "body", "title"),
        ("Line\nbreak", "body", "title"),
        ("Title", "", "content"),
        ("Title", " \n\t ", "content"),
        ("Title", "c" * (CONTENT_MAX_LENGTH + 1), "content"),
        ("Title", "nul\x00byte", "content"),
    ],
)
async def test_invalid_posts_are_refused_and_store_nothing(
    create: CreatePost, ada: int, store: MemoryStore, title: str, content: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await create(ada, title, content)
    assert caught.value.field == field
    assert store.posts == {}


async def test_a_post_for_an_unknown_author_is_refused(create: CreatePost, store: MemoryStore) -> None:
    with pytest.raises(NotFound):
        await create(999, "Title", "Body")
    assert store.posts == {}


async def test_the_author_the_authentication_read_is_not_read_again(
    uow_factory, store: MemoryStore, clock: FixedClock, ada: int
) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        stored = await uow.users.get(ada)
    assert stored is not None
    assert not stored.email_verified
    strict = CreatePost(uow_factory, clock, require_verified_email=True)
    # Verified as the caller's authentication read them: their stored row is not read again.
    as_read = replace(stored, email_verified_at=clock.now())
    post = await strict(ada, "Title", "Body", author=as_read)
    assert store.posts == {post.id: post}
    with pytest.raises(EmailNotVerified):  # another user given as the author is not taken for them
        await strict(ada, "Title", "Body", author=replace(as_read, id=ada + 1))


async def test_an_author_deleted_since_the_authentication_is_refused(
    create: CreatePost, store: MemoryStore, ada: int
) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        author = await uow.users.get(ada)
    await DeleteAccount(lambda: InMemoryUnitOfWork(store), FakeHasher())(ada, "password")
    with pytest.raises(NotFound):
        await create(ada, "Title", "Body", author=author)
    assert store.posts == {}


async def test_get_post_includes_the_author_summary(
    create: CreatePost, ada: int, uow_factory, store: MemoryStore
) -> None:
    post = await create(ada, "Title", "Body")
    found = await GetPost(uow_factory)(id_of(post))
    assert found.post == post
    assert found.author == AuthorSummary(ada, "Ada", store.users[ada].created_at)


async def test_get_unknown_post_is_not_found(uow_factory) -> None:
    with pytest.raises(NotFound) as caught:
        await GetPost(uow_factory)(1)
    assert caught.value.message == "Post not found"


async def test_list_posts_filters_by_author_and_pages(
    create: CreatePost, ada: int, bob: int, uow_factory
) -> None:
    adas = [await create(ada, f"A{i}", "x") for i in range(3)]
    bobs = [await create(bob, f"B{i}", "x") for i in range(2)]
    list_posts = ListPosts(uow_factory)

    everything = await list_posts(PageRequest(limit=100))
    first = await list_posts(PageRequest(limit=2), author_id=ada)
    assert first.next_cursor is not None
    rest = await list_posts(PageRequest(limit=2, after=first.next_cursor), author_id=ada)

    assert list(everything.items) == sorted(adas + bobs, key=id_of)
    assert [*first.items, *rest.items] == adas
    assert rest.next_cursor is None


async def test_user_posts_of_unknown_user_is_not_found_and_of_a_silent_user_empty(
    create: CreatePost, ada: int, bob: int, uow_factory
) -> None:
    await create(ada, "Title", "Body")
    list_user_posts = ListUserPosts(uow_factory)

    with pytest.raises(NotFound) as caught:
        await list_user_posts(999, PageRequest())
    assert caught.value.message == "User not found"
    assert (await list_user_posts(bob, PageRequest())).items == []


async def test_the_author_edits_a_post(
    create: CreatePost, ada: int, uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    post = await create(ada, "Title", "Body")
    clock.advance(minutes=5)

    edited = await UpdatePost(uow_factory, clock)(ada, id_of(post), PostEdit(title=" New title "))

    assert (edited.title, edited.content) == ("New title", "Body")
    assert edited.created_at == post.created_at
    assert edited.updated_at == clock.now() != post.updated_at
    assert store.posts[id_of(post)] == edited


async def test_others_may_not_edit_or_delete_a_post(
    create: CreatePost, ada: int, bob: int, uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    post = await create(ada, "Title", "Body")

    with pytest.raises(PermissionDenied):
        await UpdatePost(uow_factory, clock)(bob, id_of(post), PostEdit(title="Hijacked"))
    with pytest.raises(PermissionDenied):
        await DeletePost(uow_factory, clock)(bob, id_of(post))

    assert store.posts == {post.id: post}


async def test_editing_or_deleting_a_missing_post_is_not_found(
    ada: int, uow_factory, clock: FixedClock
) -> None:
    with pytest.raises(NotFound):
        await UpdatePost(uow_factory, clock)(ada, 42, PostEdit(title="x"))
    with pytest.raises(NotFound):
        await DeletePost(uow_factory, clock)(ada, 42)


async def test_an_invalid_edit_changes_nothing(
    create: CreatePost, ada: int, uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    post = await create(ada, "Title", "Body")
    with pytest.raises(ValidationError):
        await UpdatePost(uow_factory, clock)(ada, id_of(post), PostEdit(title="ok", content=" "))
    assert store.posts == {post.id: post}


async def test_the_author_deletes_a_post(
    create: CreatePost, ada: int, uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    kept = await create(ada, "Kept", "Body")
    gone = await create(ada, "Gone", "Body")
    await DeletePost(uow_factory, clock)(ada, id_of(gone))
    assert store.posts == {kept.id: kept}


async def test_deleting_an_account_deletes_its_posts_only(
    create: CreatePost, ada: int, bob: int, uow_factory, store: MemoryStore
) -> None:
    await create(ada, "Ada's", "Body")
    bobs = await create(bob, "Bob's", "Body")

    await DeleteAccount(uow_factory, FakeHasher())(ada, "password")  # UserFactory's password

    assert set(store.users) == {bob}
    assert store.posts == {bobs.id: bobs}


async def test_posts_are_limited_per_author(
    uow_factory, clock: FixedClock, ada: int, bob: int, store
) -> None:
    limiter = LimitsRateLimiter(parse_rules({Throttle.POST_PER_USER: "2/minute"}))
    create = CreatePost(uow_factory, clock, limiter)
    await create(ada, "One", "Body")
    await create(ada, "Two", "Body")
    with pytest.raises(RateLimited) as refused:
        await create(ada, "Three", "Body")
    assert 1 <= refused.value.retry_after <= 60
    assert len(store.posts) == 2
    await create(bob, "Bob's", "Body")  # another author's budget
