"""SQL repositories over the unit of work's connection. They run Core statements selecting only the
columns they map: no ORM object is hydrated, tracked or lazily loaded."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from application.pagination import Page, PageRequest
from application.ports import PostWithAuthor
from domain.errors import EmailAlreadyRegistered, NotFound
from domain.posts import Post
from domain.users import Email, User
from infrastructure.sql.engine import SqlConnection
from infrastructure.sql.errors import violates_foreign_key, violates_unique
from infrastructure.sql.mapping import (
    POST_COLUMNS,
    USER_COLUMNS,
    post_values,
    to_post,
    to_post_with_author,
    to_user,
    user_values,
)
from infrastructure.sql.tables import post_table, user_table

T = TypeVar("T", User, Post)


async def _page(
    connection: SqlConnection,
    statement: Select[Any],
    id_column: ColumnElement[int],
    page: PageRequest,
    to_item: Callable[[Any], T],
) -> Page[T]:
    """One keyset page: rows after `page.after` in id order, one more than asked to see if there is
    a next page."""
    statement = statement.where(id_column > page.after).order_by(id_column).limit(page.limit + 1)
    rows = (await connection.execute(statement)).all()
    return Page.from_overfetch([to_item(row) for row in rows], page, lambda item: item.id or 0)


@contextmanager
def _unique_email(email: Email) -> Iterator[None]:
    """Turn a violation of the unique email constraint into EmailAlreadyRegistered."""
    try:
        yield
    except IntegrityError as error:
        if violates_unique(error, "user", "email", "uq_user_email"):
            raise EmailAlreadyRegistered(email.value) from error
        raise


class SqlUserRepository:
    def __init__(self, connection: SqlConnection) -> None:
        self._connection = connection

    async def add(self, user: User) -> User:
        statement = insert(user_table).values(**user_values(user)).returning(user_table.c.id)
        with _unique_email(user.email):
            user_id = (await self._connection.execute(statement)).scalar_one()
        return user.with_id(user_id)

    async def get(self, user_id: int) -> User | None:
        return await self._one(user_table.c.id == user_id)

    async def get_by_email(self, email: Email) -> User | None:
        return await self._one(user_table.c.email == email.value)

    async def list(self, page: PageRequest) -> Page[User]:
        return await _page(self._connection, select(*USER_COLUMNS), user_table.c.id, page, to_user)

    async def update(self, user: User) -> None:
        statement = update(user_table).where(user_table.c.id == user.id).values(**user_values(user))
        with _unique_email(user.email):
            await self._connection.execute(statement)

    async def delete(self, user_id: int) -> None:
        # Posts go with their author by the foreign key's ON DELETE CASCADE.
        await self._connection.execute(delete(user_table).where(user_table.c.id == user_id))

    async def _one(self, condition: ColumnElement[bool]) -> User | None:
        row = (await self._connection.execute(select(*USER_COLUMNS).where(condition))).first()
        return to_user(row) if row else None


class SqlPostRepository:
    def __init__(self, connection: SqlConnection) -> None:
        self._connection = connection

    async def add(self, post: Post) -> Post:
        statement = insert(post_table).values(**post_values(post)).returning(post_table.c.id)
        try:
            post_id = (await self._connection.execute(statement)).scalar_one()
        except IntegrityError as error:  # the author was deleted meanwhile
            if violates_foreign_key(error, "fk_post_author_id_user"):
                raise NotFound("User", post.author_id) from error
            raise
        return post.with_id(post_id)

    async def get(self, post_id: int) -> Post | None:
        statement = select(*POST_COLUMNS).where(post_table.c.id == post_id)
        row = (await self._connection.execute(statement)).first()
        return to_post(row) if row else None

    async def get_with_author(self, post_id: int) -> PostWithAuthor | None:
        statement = (
            select(*POST_COLUMNS, user_table.c.name)
            .join_from(post_table, user_table, post_table.c.author_id == user_table.c.id)
            .where(post_table.c.id == post_id)
        )
        row = (await self._connection.execute(statement)).first()
        return to_post_with_author(row) if row else None

    async def list(self, page: PageRequest, author_id: int | None = None) -> Page[Post]:
        statement = select(*POST_COLUMNS)
        if author_id is not None:
            statement = statement.where(post_table.c.author_id == author_id)
        return await _page(self._connection, statement, post_table.c.id, page, to_post)

    async def update(self, post: Post) -> None:
        values = {"title": post.title, "content": post.content, "updated_at": post.updated_at}
        await self._connection.execute(update(post_table).where(post_table.c.id == post.id).values(values))

    async def delete(self, post_id: int) -> None:
        await self._connection.execute(delete(post_table).where(post_table.c.id == post_id))
