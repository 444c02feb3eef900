"""SQL repositories over the unit of work's connection. They run Core statements selecting only the
columns they map: no ORM object is hydrated, tracked or lazily loaded. Read statements are built once,
with bound parameters, so a call only binds values."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, delete, insert, select, update
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


def _keyset_page(statement: Select[Any], id_column: ColumnElement[int]) -> Select[Any]:
    """Rows after the `after` id in id order, `limit` of them (callers ask one more than they show, to
    know whether a next page exists)."""
    return statement.where(id_column > bindparam("after")).order_by(id_column).limit(bindparam("limit"))


_USER_BY_ID = select(*USER_COLUMNS).where(user_table.c.id == bindparam("id"))
_USER_BY_EMAIL = select(*USER_COLUMNS).where(user_table.c.email == bindparam("email"))
_USERS_PAGE = _keyset_page(select(*USER_COLUMNS), user_table.c.id)
_POST_BY_ID = select(*POST_COLUMNS).where(post_table.c.id == bindparam("id"))
_POST_WITH_AUTHOR = (
    select(*POST_COLUMNS, user_table.c.name, user_table.c.created_at)
    .join_from(post_table, user_table, post_table.c.author_id == user_table.c.id)
    .where(post_table.c.id == bindparam("id"))
)
_POSTS_PAGE = _keyset_page(select(*POST_COLUMNS), post_table.c.id)
_AUTHOR_POSTS_PAGE = _keyset_page(
    select(*POST_COLUMNS).where(post_table.c.author_id == bindparam("author_id")), post_table.c.id
)


async def _page(
    connection: SqlConnection,
    statement: Select[Any],
    page: PageRequest,
    to_item: Callable[[Any], T],
    **parameters: Any,
) -> Page[T]:
    rows = (
        await connection.execute(statement, {"after": page.after, "limit": page.limit + 1, **parameters})
    ).all()
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
        row = (await self._connection.execute(_USER_BY_ID, {"id": user_id})).first()
        return to_user(row) if row else None

    async def get_by_email(self, email: Email) -> User | None:
        row = (await self._connection.execute(_USER_BY_EMAIL, {"email": email.value})).first()
        return to_user(row) if row else None

    async def list(self, page: PageRequest) -> Page[User]:
        return await _page(self._connection, _USERS_PAGE, page, to_user)

    async def update(self, user: User) -> None:
        statement = update(user_table).where(user_table.c.id == user.id).values(**user_values(user))
        with _unique_email(user.email):
            await self._connection.execute(statement)

    async def delete(self, user_id: int) -> None:
        # Posts go with their author by the foreign key's ON DELETE CASCADE.
        await self._connection.execute(delete(user_table).where(user_table.c.id == user_id))


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
        row = (await self._connection.execute(_POST_BY_ID, {"id": post_id})).first()
        return to_post(row) if row else None

    async def get_with_author(self, post_id: int) -> PostWithAuthor | None:
        row = (await self._connection.execute(_POST_WITH_AUTHOR, {"id": post_id})).first()
        return to_post_with_author(row) if row else None

    async def list(self, page: PageRequest, author_id: int | None = None) -> Page[Post]:
        if author_id is None:
            return await _page(self._connection, _POSTS_PAGE, page, to_post)
        return await _page(self._connection, _AUTHOR_POSTS_PAGE, page, to_post, author_id=author_id)

    async def update(self, post: Post) -> None:
        values = {"title": post.title, "content": post.content, "updated_at": post.updated_at}
        await self._connection.execute(update(post_table).where(post_table.c.id == post.id).values(values))

    async def delete(self, post_id: int) -> None:
        await self._connection.execute(delete(post_table).where(post_table.c.id == post_id))
