"""Events written by the use cases, in the unit of work of their change (in-memory adapters): each
committed change records exactly its event, a rolled-back one none; the data of every event type holds
the entity's public fields and its version, a user's email only where a consumer needs it, and never a
credential."""

from typing import Any

import orjson
import pytest

from application.comments import CreateComment, DeleteComment, UpdateComment
from application.events import EVENT_TYPES, USER_REGISTERED, USER_UPDATED
from application.moderation import ReinstateUser, SuspendUser
from application.posts import CreatePost, DeletePost, PostEdit, UpdatePost
from application.users import DeleteAccount, ProfileChanges, RegisterUser, UpdateProfile
from application.verification import VerifyEmail
from domain.comments import Comment, CommentChanged, NotTheCommentAuthor
from domain.errors import EmailAlreadyRegistered
from domain.moderation import MayNotDeleteComment, MayNotDeletePost
from domain.posts import NotTheAuthor, Post, PostChanged, PostNotFound
from domain.roles import Role
from domain.users import User, WrongPassword
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from tests.factories import CommentFactory, PostFactory, UserFactory, id_of
from tests.fakes import FakeHasher, FixedClock
from tests.recovery import mailing, outbox, token_in

PASSWORD = "correct horse battery"


def events(store: MemoryStore) -> list[tuple[str, str, dict[str, Any]]]:
    """The committed events, oldest first: (type without its prefix, subject, data)."""
    rows = [store.events[i] for i in sorted(store.events)]
    return [(row.type.removeprefix("users-posts."), row.subject, orjson.loads(row.data)) for row in rows]


def kinds(store: MemoryStore) -> list[tuple[str, str]]:
    return [(kind, subject) for kind, subject, _ in events(store)]


@pytest.fixture
def register(uow_factory, hasher: FakeHasher, clock: FixedClock) -> RegisterUser:
    return RegisterUser(uow_factory, hasher, clock, mailing=mailing(clock))


@pytest.fixture
def update(uow_factory, hasher: FakeHasher, clock: FixedClock) -> UpdateProfile:
    return UpdateProfile(uow_factory, hasher, mailing=mailing(clock))


async def admin(store: MemoryStore) -> int:
    async with InMemoryUnitOfWork(store) as uow:
        user = await uow.users.add(UserFactory(role=Role.ADMIN))
        await uow.commit()
    return id_of(user)


async def test_a_session_records_exactly_its_events_in_order(
    uow_factory, register: RegisterUser, update: UpdateProfile, hasher, clock: FixedClock, store: MemoryStore
) -> None:
    ada = await register("Ada", "ada@example.com", PASSWORD)
    user = f"users/{ada.id}"
    await VerifyEmail(uow_factory, mailing(clock), clock)(token_in(outbox(store)[0]))
    await update(id_of(ada), ProfileChanges(name="Ada L."))
    await update(id_of(ada), ProfileChanges(password="another password", current_password=PASSWORD))
    await update(
        id_of(ada), ProfileChanges(email="ada@lovelace.example", current_password="another password")
    )
    post = await CreatePost(uow_factory, clock)(id_of(ada), "Hello", "First")
    await UpdatePost(uow_factory, clock)(id_of(ada), id_of(post), PostEdit(title="Hello again"))
    await DeletePost(uow_factory, clock)(id_of(ada), id_of(post))
    actor = await admin(store)
    await SuspendUser(uow_factory, clock)(actor, id_of(ada), "spam")
    await ReinstateUser(uow_factory, clock)(actor, id_of(ada))
    await DeleteAccount(uow_factory, hasher)(id_of(ada), "another password")

    assert kinds(store) == [
        ("user.registered", user),
        ("user.email_verified", user),
        ("user.updated", user),  # the name; the new password alone is no event
        ("user.updated", user),  # the email
        ("post.created", f"posts/{post.id}"),
        ("post.updated", f"posts/{post.id}"),
        ("post.deleted", f"posts/{post.id}"),
        ("user.suspended", user),
        ("user.reinstated", user),
        ("user.deleted", user),
    ]
    data = [data for _, _, data in events(store)]
    assert [d.get("changed") for d in data[2:4]] == [["name"], ["email"]]
    emails = [d["email"] for d in data[:4] if "email" in d]  # not in user.email_verified
    assert emails == ["ada@example.com", "ada@example.com", "ada@lovelace.example"]
    # Each user event says the version the user reached (the password change made version 4).
    assert [d["version"] for d in data if "name" in d and "title" not in d] == [1, 2, 3, 5, 6, 7, 7]
    assert [(d["title"], d["version"]) for d in data[4:7]] == [
        ("Hello", 1),
        ("Hello again", 2),
        ("Hello again", 2),
    ]


async def test_a_moderators_deletion_records_the_posts_deletion(
    uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        author = await uow.users.add(UserFactory())
        moderator = await uow.users.add(UserFactory(role=Role.MODERATOR))
        post = await uow.posts.add(PostFactory(author_id=id_of(author)))
        await uow.commit()
    await DeletePost(uow_factory, clock)(id_of(moderator), id_of(post))
    assert kinds(store) == [("post.deleted", f"posts/{post.id}")]


async def test_rolled_back_changes_record_nothing(
    uow_factory, register: RegisterUser, update: UpdateProfile, hasher, clock: FixedClock, store: MemoryStore
) -> None:
    ada = await register("Ada", "ada@example.com", PASSWORD)
    bob = await register("Bob", "bob@example.com", PASSWORD)
    post = await CreatePost(uow_factory, clock)(id_of(ada), "Hello", "First")
    before = kinds(store)

    with pytest.raises(EmailAlreadyRegistered):  # 409
        await register("Ada again", "ada@example.com", PASSWORD)
    with pytest.raises(EmailAlreadyRegistered):
        await update(id_of(bob), ProfileChanges(email="ada@example.com", current_password=PASSWORD))
    with pytest.raises(PostChanged):  # 412
        await UpdatePost(uow_factory, clock)(
            id_of(ada), id_of(post), PostEdit(title="x"), expected_versions={7}
        )
    with pytest.raises(NotTheAuthor):  # 403
        await UpdatePost(uow_factory, clock)(id_of(bob), id_of(post), PostEdit(title="x"))
    with pytest.raises(MayNotDeletePost):
        await DeletePost(uow_factory, clock)(id_of(bob), id_of(post))
    with pytest.raises(WrongPassword):
        await DeleteAccount(uow_factory, hasher)(id_of(ada), "not the password")

    assert kinds(store) == before


def example_entities() -> dict[str, User | Post | Comment]:
    """An entity of each kind that events are about, by the kind's name."""
    user = UserFactory(id=3, password_hash="$argon2id$v=19$secret-hash", credentials_stamp="stamp0123456789")
    post = PostFactory(id=9, author_id=3, version=4, comment_count=2)
    return {"user": user, "post": post, "comment": CommentFactory(id=12, post_id=9, author_id=3, version=2)}


def strings_in(data: object) -> list[str]:
    if isinstance(data, dict):
        return [*map(str, data), *(s for value in data.values() for s in strings_in(value))]
    if isinstance(data, list):
        return [s for value in data for s in strings_in(value)]
    return [str(data)]


@pytest.mark.parametrize("kind", EVENT_TYPES, ids=lambda kind: kind.name)
def test_no_event_type_carries_a_credential_and_only_two_carry_the_email(kind: Any) -> None:
    entity = example_entities()[kind.entity]
    data = kind.data(entity)
    text = " ".join(strings_in(orjson.loads(orjson.dumps(data))))

    for secret in ("password", "hash", "argon2", "stamp", "token", "secret", "credential"):
        assert secret not in text.lower()
    assert ("email" in data) is (kind in (USER_REGISTERED, USER_UPDATED))
    assert data["id"] == entity.id
    assert data["version"] == entity.version
    assert kind.subject(entity) == f"{kind.collection}/{entity.id}"


async def test_comments_record_their_events_and_rolled_back_ones_none(
    uow_factory, clock: FixedClock, store: MemoryStore
) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        author = id_of(await uow.users.add(UserFactory()))
        other = id_of(await uow.users.add(UserFactory()))
        post = id_of(await uow.posts.add(PostFactory(author_id=author)))
        await uow.commit()
    written = await CreateComment(uow_factory, clock)(other, post, "First!")
    comment = id_of(written.comment)
    await UpdateComment(uow_factory, clock)(other, comment, "Second thoughts")
    before = kinds(store)

    with pytest.raises(PostNotFound):  # 404
        await CreateComment(uow_factory, clock)(other, post + 1, "Nowhere")
    with pytest.raises(CommentChanged):  # 412
        await UpdateComment(uow_factory, clock)(other, comment, "x", expected_versions={7})
    with pytest.raises(NotTheCommentAuthor):  # 403
        await UpdateComment(uow_factory, clock)(author, comment, "x")
    with pytest.raises(MayNotDeleteComment):
        await DeleteComment(uow_factory, clock)(author, comment)
    assert kinds(store) == before
    await DeleteComment(uow_factory, clock)(other, comment)

    subject = f"comments/{comment}"
    assert kinds(store) == [
        ("comment.created", subject),
        ("comment.updated", subject),
        ("comment.deleted", subject),
    ]
    data = [data for _, _, data in events(store)]
    assert [(d["body"], d["version"], d["post_id"], d["author_id"]) for d in data] == [
        ("First!", 1, post, other),
        ("Second thoughts", 2, post, other),
        ("Second thoughts", 2, post, other),
    ]
