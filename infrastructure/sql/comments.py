"""SqlCommentRepository: comments over the unit of work's session, and the `comment_count` of their
posts, kept exact by conditional increments in the same transaction (`comment_count + 1` where a
comment is added, `- 1` where one is removed): concurrent writers queue on the post's row lock, and
none overwrites another's count."""

from collections import Counter
from collections.abc import Collection
from typing import Any

from sqlalchemy import Integer, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select, update

from application.pagination import Page, PageRequest
from application.ports.comments import Commenter, CommentWithAuthor
from domain.comments import Comment
from domain.posts import PostNotFound
from domain.users import UserNotFound
from infrastructure.sql.driver_errors import violates_foreign_key
from infrastructure.sql.engine import UnitSession
from infrastructure.sql.mapping import fields_of
from infrastructure.sql.tables import COMMENTS, POSTS, USERS, CommentRow

_comments, _posts, _users = COMMENTS.table, POSTS.table, USERS.table
_AFTER, _LIMIT = bindparam("after", type_=Integer), bindparam("limit", type_=Integer)

# A comment with its author's id and name, in one statement (the author's columns are labelled, so that
# the comment's reader finds its own by name).
_COMMENT_AND_AUTHOR_COLUMNS = [*COMMENTS.columns, _users.c.name.label("author_name")]
_WITH_AUTHOR = select(*_COMMENT_AND_AUTHOR_COLUMNS).join(_users, _users.c.id == _comments.c.author_id)
_COMMENT_WITH_AUTHOR = _WITH_AUTHOR.where(_comments.c.id == bindparam("id"))
# Oldest first: ids grow with time. The index (post_id, id) serves it.
_COMMENTS_UNDER = (
    _WITH_AUTHOR.where(_comments.c.post_id == bindparam("post_id"), _comments.c.id > _AFTER)
    .order_by(_comments.c.id)
    .limit(_LIMIT)
)
_COMMENT_BY_ID = select(*COMMENTS.columns).where(_comments.c.id == bindparam("id"))
# Counting on the post: the UPDATE takes the post's row lock, which concurrent comments on it wait for.
_COUNT = (
    update(_posts)
    .where(_posts.c.id == bindparam("post_id"))
    .values(comment_count=_posts.c.comment_count + bindparam("delta", type_=Integer))
)
# What an edit of a comment changes: its post, author and creation time never do.
_EDITABLE = ("body", "updated_at")


def _with_author(result: Any) -> list[CommentWithAuthor]:
    keys = tuple(result.keys())
    read, name = COMMENTS.reader(keys), keys.index("author_name")
    return [
        CommentWithAuthor(comment := read(row), Commenter(comment.author_id, row[name]))
        for row in result.all()
    ]


class SqlCommentRepository:
    def __init__(self, session: UnitSession) -> None:
        self._session = session

    async def add(self, comment: Comment) -> Comment:
        # Counted first: no post, no row updated (PostNotFound); else its row lock keeps the post from
        # going until this transaction ends, so the insert's only foreign key left to fail is the author's.
        counted = await self._session.exec(_COUNT, params={"post_id": comment.post_id, "delta": 1})
        if not counted.rowcount:
            raise PostNotFound(comment.post_id)
        row = CommentRow(**COMMENTS.values(comment))
        self._session.add(row)
        try:
            await self._session.flush()  # INSERT … RETURNING id
        except IntegrityError as error:  # the author was deleted meanwhile
            if violates_foreign_key(error, "fk_comment_author_id_user"):
                raise UserNotFound(comment.author_id) from error
            raise
        return COMMENTS.from_fields(fields_of(row))

    async def get(self, comment_id: int) -> Comment | None:
        result = await self._session.exec(_COMMENT_BY_ID, params={"id": comment_id})
        row = result.first()
        return COMMENTS.reader(tuple(result.keys()))(row) if row is not None else None

    async def get_with_author(self, comment_id: int) -> CommentWithAuthor | None:
        found = _with_author(await self._session.exec(_COMMENT_WITH_AUTHOR, params={"id": comment_id}))
        return found[0] if found else None

    async def list_under(self, post_id: int, page: PageRequest) -> Page[CommentWithAuthor]:
        params = {"post_id": post_id, "after": page.after, "limit": page.limit + 1}
        items = _with_author(await self._session.exec(_COMMENTS_UNDER, params=params))
        return Page.from_overfetch(items, page, lambda item: item.comment.id or 0)

    async def update(self, comment: Comment, *, if_version_in: Collection[int] | None = None) -> int | None:
        statement = (
            update(CommentRow)
            .where(col(CommentRow.id) == comment.id)
            .values(**COMMENTS.values(comment, only=_EDITABLE), version=col(CommentRow.version) + 1)
            .returning(col(CommentRow.version))
        )
        if if_version_in is not None:  # a conditional write: the check and the write are one statement
            statement = statement.where(col(CommentRow.version).in_(if_version_in))
        version: int | None = (await self._session.exec(statement)).scalar()
        return version

    async def delete(self, comment_id: int, *, if_version_in: Collection[int] | None = None) -> bool:
        statement = delete(CommentRow).where(col(CommentRow.id) == comment_id)
        if if_version_in is not None:
            statement = statement.where(col(CommentRow.version).in_(if_version_in))
        post_id = (await self._session.exec(statement.returning(col(CommentRow.post_id)))).scalar()
        if post_id is None:
            return False
        await self._session.exec(_COUNT, params={"post_id": post_id, "delta": -1})
        return True

    async def delete_of_author(self, author_id: int) -> None:
        statement = delete(CommentRow).where(col(CommentRow.author_id) == author_id)
        removed = Counter((await self._session.exec(statement.returning(col(CommentRow.post_id)))).scalars())
        if removed:  # one statement, run for each post they commented on
            uncount = [{"post_id": post_id, "delta": -count} for post_id, count in sorted(removed.items())]
            await self._session.exec(_COUNT, params=uncount)

    async def renew_versions_of_author(self, author_id: int) -> None:
        statement = update(CommentRow).where(col(CommentRow.author_id) == author_id)
        await self._session.exec(statement.values(version=col(CommentRow.version) + 1))
