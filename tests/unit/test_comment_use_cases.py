"""The comment use cases on the in-memory adapters: who may write, edit and delete a comment, what a
body may be, paging, conditional writes, the audit of a moderator's deletion, the rate limit, and the
post's comment_count through all of it (an account's deletion included)."""

from dataclasses import replace

import pytest

from application.comments import (
    CreateComment,
    DeleteComment,
    EmailNotVerifiedToComment,
    GetComment,
    ListComments,
    UpdateComment,
)
from application.errors import RateLimited
from application.pagination import PageRequest
from application.ports.audit import AuditAction
from application.ports.comments import Commenter
from application.ports.throttling import Throttle
from application.users import DeleteAccount, ProfileChanges, UpdateProfile
from domain.comments import BODY_MAX_LENGTH, CommentChanged, CommentNotFound, NotTheCommentAuthor
from domain.errors import AccountSuspended, ValidationError
from domain.moderation import MayNotDeleteComment
from domain.posts import PostNotFound
from domain.roles import Role
from domain.users import Suspension
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from tests.factories import PostFactory, UserFactory, id_of
from tests.fakes import FakeHasher, FixedClock

PASSWORD = "correct horse battery"


async def stored_user(store: MemoryStore, name: str, **fields: object) -> int:
    async with InMemoryUnitOfWork(store) as uow:
        user = await uow.users.add(UserFactory(name=name, **fields))
        await uow.commit()
    return id_of(user)


@pytest.fixture
async def ada(store: MemoryStore) -> int:
    return await stored_user(store, "Ada", password_hash=f"fake-hash:{PASSWORD[::-1]}")


@pytest.fixture
async def bob(store: MemoryStore) -> int:
    return await stored_user(store, "Bob")


@pytest.fixture
async def post(store: MemoryStore, ada: int) -> int:
    async with InMemoryUnitOfWork(store) as uow:
        stored = await uow.posts.add(PostFactory(author_id=ada))
        await uow.commit()
    return id_of(stored)


@pytest.fixture
def create(uow_factory, clock: FixedClock) -> CreateComment:
    return CreateComment(uow_factory, clock)


def count(store: MemoryStore, post_id: int) -> int:
    return int(store.posts[post_id].comment_count)


async def test_a_comment_is_trimmed_stamped_counted_and_shown_with_its_author(
    create: CreateComment, uow_factory, ada: int, bob: int, post: int, store: MemoryStore, clock: FixedClock
) -> None:
    written = await create(bob, post, "  Well put.\nIndeed.  \n")

    comment = written.comment
    assert (comment.body, comment.post_id, comment.author_id, comment.version) == (
        "Well put.\nIndeed.",
        post,
        bob,
        1,
    )
    assert comment.created_at == comment.updated_at == clock.now()
    assert written.author == Commenter(bob, "Bob")
    assert await GetComment(uow_factory)(id_of(comment)) == written
    assert count(store, post) == 1


@pytest.mark.parametrize(
    "body", ["", "  \n\t ", "b" * (BODY_MAX_LENGTH + 1), "nul \x00 byte", "bidi \u202e override"]
)
async def test_bad_bodies_are_refused_and_nothing_is_stored(
    create: CreateComment, bob: int, post: int, store: MemoryStore, body: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await create(bob, post, body)
    assert refused.value.field == "body"
    assert store.comments == {}
    assert count(store, post) == 0


async def test_the_longest_body_is_accepted_after_trimming(
    create: CreateComment, bob: int, post: int
) -> None:
    written = await create(bob, post, f"  {'b' * BODY_MAX_LENGTH}  ")
    assert len(written.comment.body) == BODY_MAX_LENGTH


async def test_a_comment_on_an_unknown_post_is_post_not_found(
    create: CreateComment, uow_factory, bob: int, post: int, store: MemoryStore
) -> None:
    with pytest.raises(PostNotFound):
        await create(bob, post + 1, "Hello")
    with pytest.raises(PostNotFound):
        await ListComments(uow_factory)(post + 1, PageRequest())
    assert store.comments == {}


async def test_a_suspended_user_cannot_comment_but_their_comments_stay(
    create: CreateComment, uow_factory, bob: int, post: int, store: MemoryStore, clock: FixedClock
) -> None:
    written = await create(bob, post, "Before")
    async with InMemoryUnitOfWork(store) as uow:
        await uow.users.set_suspension(bob, Suspension(clock.now(), "spam"))
        await uow.commit()

    with pytest.raises(AccountSuspended):
        await create(bob, post, "After")
    assert [found.comment for found in (await ListComments(uow_factory)(post, PageRequest())).items] == [
        written.comment
    ]


async def test_with_verified_email_required_only_verified_users_comment(
    uow_factory, clock: FixedClock, bob: int, post: int, store: MemoryStore
) -> None:
    create = CreateComment(uow_factory, clock, require_verified_email=True)
    with pytest.raises(EmailNotVerifiedToComment):
        await create(bob, post, "Hello")
    verified = await stored_user(store, "Vera", email_verified_at=clock.now())
    assert (await create(verified, post, "Hello")).comment.author_id == verified


async def test_each_user_has_a_budget_of_comments(
    uow_factory, clock: FixedClock, ada: int, bob: int, post: int, store: MemoryStore
) -> None:
    limiter = LimitsRateLimiter(parse_rules({Throttle.COMMENT_PER_USER: "2/minute"}))
    create = CreateComment(uow_factory, clock, limiter)
    await create(bob, post, "one")
    await create(bob, post, "two")

    with pytest.raises(RateLimited):
        await create(bob, post, "three")
    await create(ada, post, "Ada's own budget")
    assert count(store, post) == 3


async def test_comments_are_listed_oldest_first_page_by_page(
    create: CreateComment, uow_factory, ada: int, bob: int, post: int
) -> None:
    written = [await create(author, post, f"#{n}") for n, author in enumerate([bob, ada, bob])]
    list_comments = ListComments(uow_factory)

    first = await list_comments(post, PageRequest(limit=2))
    second = await list_comments(post, PageRequest(limit=2, after=first.next_cursor or 0))

    assert [*first.items, *second.items] == written
    assert second.next_cursor is None
    assert (await list_comments(post, PageRequest(after=id_of(written[-1].comment)))).items == []


async def test_only_the_author_edits_a_comment_and_a_stale_version_writes_nothing(
    create: CreateComment, uow_factory, clock: FixedClock, ada: int, bob: int, post: int
) -> None:
    written = await create(bob, post, "First")
    comment_id = id_of(written.comment)
    update = UpdateComment(uow_factory, clock)
    clock.advance(minutes=1)

    with pytest.raises(NotTheCommentAuthor):
        await update(ada, comment_id, "Hijacked")
    with pytest.raises(CommentChanged):
        await update(bob, comment_id, "Stale", expected_versions={2})
    with pytest.raises(ValidationError):
        await update(bob, comment_id, " ")
    with pytest.raises(CommentNotFound):
        await update(bob, comment_id + 1, "Nothing")
    edited = await update(bob, comment_id, " Second ", expected_versions={1})

    assert edited.comment == replace(written.comment, body="Second", updated_at=clock.now(), version=2)
    assert edited.author == Commenter(bob, "Bob")
    assert await GetComment(uow_factory)(comment_id) == edited


async def test_the_author_deletes_a_comment_and_it_is_uncounted(
    create: CreateComment, uow_factory, clock: FixedClock, ada: int, bob: int, post: int, store: MemoryStore
) -> None:
    comment_id = id_of((await create(bob, post, "Oops")).comment)
    delete = DeleteComment(uow_factory, clock)

    with pytest.raises(MayNotDeleteComment):
        await delete(ada, comment_id)  # the post's author is no moderator
    with pytest.raises(CommentChanged):
        await delete(bob, comment_id, expected_versions={2})
    await delete(bob, comment_id, expected_versions={1})

    with pytest.raises(CommentNotFound):
        await GetComment(uow_factory)(comment_id)
    with pytest.raises(CommentNotFound):
        await delete(bob, comment_id)
    assert count(store, post) == 0
    assert store.audit == {}


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
async def test_a_moderators_deletion_of_a_comment_is_audited(
    create: CreateComment, uow_factory, clock: FixedClock, bob: int, post: int, store: MemoryStore, role: Role
) -> None:
    comment_id = id_of((await create(bob, post, "Spam")).comment)
    moderator = await stored_user(store, "Mod", role=role)

    await DeleteComment(uow_factory, clock)(moderator, comment_id, request_id="req-1")

    (entry,) = store.audit.values()
    assert (entry.action, entry.target, entry.actor_id, entry.request_id) == (
        AuditAction.COMMENT_DELETED,
        f"comment:{comment_id}",
        moderator,
        "req-1",
    )
    assert entry.reason == f"by {role.value}; author user:{bob}; post:{post}"
    assert count(store, post) == 0


async def test_deleting_an_account_deletes_its_comments_and_keeps_the_counts_exact(
    create: CreateComment, uow_factory, ada: int, bob: int, post: int, store: MemoryStore
) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        bobs_post = id_of(await uow.posts.add(PostFactory(author_id=bob)))
        await uow.commit()
    await create(bob, post, "on Ada's post")
    await create(bob, post, "again")
    kept = await create(ada, post, "Ada's reply")
    await create(ada, bobs_post, "on Bob's post")

    await DeleteAccount(uow_factory, FakeHasher())(ada, PASSWORD)  # Ada's post goes, with its comments

    assert post not in store.posts
    assert id_of(kept.comment) not in store.comments
    assert [c.author_id for c in store.comments.values()] == []
    assert count(store, bobs_post) == 0


async def test_deleting_a_commenters_account_uncounts_their_comments(
    create: CreateComment, uow_factory, ada: int, post: int, store: MemoryStore
) -> None:
    carol = await stored_user(store, "Carol", password_hash=f"fake-hash:{PASSWORD[::-1]}")
    await create(carol, post, "one")
    await create(ada, post, "two")
    await create(carol, post, "three")

    await DeleteAccount(uow_factory, FakeHasher())(carol, PASSWORD)

    assert [c.body for c in store.comments.values()] == ["two"]
    assert count(store, post) == 1


async def test_a_new_name_gives_the_authors_comments_a_new_version(
    create: CreateComment, uow_factory, ada: int, bob: int, post: int
) -> None:
    adas = await create(ada, post, "Mine")
    bobs = await create(bob, post, "His")

    await UpdateProfile(uow_factory, FakeHasher())(ada, ProfileChanges(name="Ada L."))

    get = GetComment(uow_factory)
    assert await get(id_of(adas.comment)) == replace(
        adas, comment=replace(adas.comment, version=2), author=Commenter(ada, "Ada L.")
    )
    assert await get(id_of(bobs.comment)) == bobs
