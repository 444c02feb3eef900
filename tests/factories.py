"""factory-boy factories: domain entities and API payloads."""

from datetime import UTC, datetime
from typing import Any

import factory

from domain.comments import Comment
from domain.posts import Post
from domain.users import Email, User

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def public_view(user: dict[str, Any]) -> dict[str, Any]:
    """A user as GET /users/{id} shows them to anyone: the owner's view without the email and whether
    it is verified."""
    return {key: value for key, value in user.items() if key not in ("email", "email_verified")}


class UserFactory(factory.Factory):
    """A domain User not yet stored (id None)."""

    class Meta:
        model = User

    id = None
    name = factory.Sequence(lambda n: f"User {n}")
    email = factory.Sequence(lambda n: Email(f"user{n}@example.com"))
    password_hash = "fake-hash:drowssap"
    created_at = EPOCH


class PostFactory(factory.Factory):
    """A domain Post not yet stored (id None); pass `author_id` of a stored user."""

    class Meta:
        model = Post

    id = None
    title = factory.Sequence(lambda n: f"Post {n}")
    content = factory.Sequence(lambda n: f"Content of post {n}.\nSecond line.")
    author_id = 1
    created_at = EPOCH
    updated_at = EPOCH


class CommentFactory(factory.Factory):
    """A domain Comment not yet stored (id None); pass the `post_id` and `author_id` of stored ones."""

    class Meta:
        model = Comment

    id = None
    post_id = 1
    author_id = 1
    body = factory.Sequence(lambda n: f"Comment {n}.\nSecond line.")
    created_at = EPOCH
    updated_at = EPOCH


class UserCreatePayload(factory.DictFactory):
    """A valid POST /users/ body."""

    name = factory.Sequence(lambda n: f"User {n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = "correct horse battery"


class PostCreatePayload(factory.DictFactory):
    """A valid POST /posts/ body."""

    title = factory.Sequence(lambda n: f"Post {n}")
    content = factory.Sequence(lambda n: f"Content of post {n}.")


class CommentCreatePayload(factory.DictFactory):
    """A valid POST /posts/{id}/comments body."""

    body = factory.Sequence(lambda n: f"Comment {n}.")


def id_of(entity: User | Post | Comment) -> int:
    """The id of an entity a repository returned, hence stored."""
    assert entity.id is not None, entity
    return entity.id
