"""Table rows ↔ entities, by name. A row is a table object (`UserRow`) or a row of columns selected
through the session (`row.name`): both are read by attribute, never by position. Table classes never
leave infrastructure.sql."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import SQLModel

from application.ports import AuthorSummary, PostWithAuthor
from domain.posts import Post
from domain.users import Email, User
from infrastructure.sql.tables import PostRow, UserRow

UserLike = UserRow | Row[Any]
PostLike = PostRow | Row[Any]


def columns_of(table_class: type[SQLModel]) -> tuple[InstrumentedAttribute[Any], ...]:
    """Every column of a table class, as its attributes (`UserRow.id`, …): what a hot path selects
    instead of whole table objects. A column added to the class is selected with the rest."""
    table = table_class.__table__  # type: ignore[attr-defined]
    return tuple(getattr(table_class, column.key) for column in table.columns)


USER_COLUMNS = columns_of(UserRow)
POST_COLUMNS = columns_of(PostRow)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_user(row: UserLike) -> User:
    return User(
        id=row.id,
        name=row.name,
        email=Email.trusted(row.email),  # validated on the way in
        password_hash=row.password_hash,
        created_at=aware(row.created_at),
    )


def user_values(user: User) -> dict[str, Any]:
    """The stored fields of a user, by column name (the id is the database's)."""
    return {
        "name": user.name,
        "email": user.email.value,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
    }


def to_post(row: PostLike) -> Post:
    return Post(
        id=row.id,
        title=row.title,
        content=row.content,
        author_id=row.author_id,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
    )


def to_post_with_author(row: PostRow) -> PostWithAuthor:
    """A post loaded with its author (eagerly, in the same statement)."""
    return PostWithAuthor(to_post(row), AuthorSummary(row.author.id or 0, row.author.name))


def post_values(post: Post) -> dict[str, Any]:
    """The stored fields of a post, by column name (the id is the database's)."""
    return {
        "title": post.title,
        "content": post.content,
        "author_id": post.author_id,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }
