"""Table rows ↔ entities, by name: each mapping reads the fields of a row by column name, never by
position, whether the row was a table object (`fields_of(row)`) or columns selected through the
session (`fields_by_name(result)`). Table classes never leave infrastructure.sql."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import SQLModel

from application.ports import AuthorSummary, PostWithAuthor
from domain.posts import Post
from domain.users import Email, User
from infrastructure.sql.tables import PostRow

Fields = Mapping[str, Any]


def table_of(table_class: type[SQLModel]) -> Table:
    """The table a table class maps: what hot reads select columns of (`table_of(UserRow).c`)."""
    table: Table = table_class.__table__  # type: ignore[attr-defined]
    return table


# `result: Any`: sqlmodel's `select` types a selection of more than four columns as if it were one, so
# `session.exec` claims to return a ScalarResult where it returns rows.


def fields_by_name(result: Any) -> list[Fields]:
    """Each row of `result` as {column name: value}. (Reading `row.name` on a SQLAlchemy Row costs
    ~0.8 µs a field, which a page of 100 rows pays 500 times: zipping with the keys costs a tenth.)"""
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def first_fields(result: Any) -> Fields | None:
    """The first row of `result` as {column name: value}, or None."""
    keys = tuple(result.keys())
    row = result.first()
    return dict(zip(keys, row, strict=True)) if row is not None else None


def fields_of(row: SQLModel) -> Fields:
    """The column values of a table object, by name."""
    return row.model_dump()


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_user(fields: Fields) -> User:
    return User(
        id=fields["id"],
        name=fields["name"],
        email=Email.trusted(fields["email"]),  # validated on the way in
        password_hash=fields["password_hash"],
        created_at=aware(fields["created_at"]),
        credentials_stamp=fields["credentials_stamp"],
    )


def user_values(user: User) -> dict[str, Any]:
    """The stored fields of a user, by column name (the id is the database's)."""
    return {
        "name": user.name,
        "email": user.email.value,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "credentials_stamp": user.credentials_stamp,
    }


def to_post(fields: Fields) -> Post:
    return Post(
        id=fields["id"],
        title=fields["title"],
        content=fields["content"],
        author_id=fields["author_id"],
        created_at=aware(fields["created_at"]),
        updated_at=aware(fields["updated_at"]),
    )


def to_post_with_author(row: PostRow) -> PostWithAuthor:
    """A post table object loaded with its author (eagerly: nothing is lazy-loaded here)."""
    author = AuthorSummary(row.author_id, row.author.name, aware(row.author.created_at))
    return PostWithAuthor(to_post(fields_of(row)), author)


def post_values(post: Post) -> dict[str, Any]:
    """The stored fields of a post, by column name (the id is the database's)."""
    return {
        "title": post.title,
        "content": post.content,
        "author_id": post.author_id,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }
