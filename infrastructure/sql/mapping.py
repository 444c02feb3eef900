"""Explicit row ↔ entity mapping: table classes never leave infrastructure.sql."""

from datetime import UTC, datetime
from typing import Any

from application.ports import AuthorSummary, PostWithAuthor
from domain.posts import Post
from domain.users import Email, User
from infrastructure.sql.tables import post_table, user_table

USER_COLUMNS = tuple(
    user_table.c[name] for name in ("id", "name", "email", "password_hash", "created_at", "credentials_stamp")
)
POST_COLUMNS = tuple(
    post_table.c[name] for name in ("id", "title", "content", "author_id", "created_at", "updated_at")
)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_user(row: Any) -> User:
    """Map a row selected with USER_COLUMNS."""
    user_id, name, email, password_hash, created_at, credentials_stamp = row
    return User(
        id=user_id,
        name=name,
        email=Email.trusted(email),  # validated on the way in
        password_hash=password_hash,
        created_at=aware(created_at),
        credentials_stamp=credentials_stamp,
    )


def user_values(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "email": user.email.value,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "credentials_stamp": user.credentials_stamp,
    }


def to_post(row: Any) -> Post:
    """Map a row starting with POST_COLUMNS."""
    post_id, title, content, author_id, created_at, updated_at = row[:6]
    return Post(
        id=post_id,
        title=title,
        content=content,
        author_id=author_id,
        created_at=aware(created_at),
        updated_at=aware(updated_at),
    )


def to_post_with_author(row: Any) -> PostWithAuthor:
    """Map a row of POST_COLUMNS followed by the author's name and creation time."""
    post = to_post(row)
    return PostWithAuthor(post, AuthorSummary(post.author_id, row[6], aware(row[7])))


def post_values(post: Post) -> dict[str, Any]:
    return {
        "title": post.title,
        "content": post.content,
        "author_id": post.author_id,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }
