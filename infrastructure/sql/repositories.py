"""SQL repositories over the unit of work's SQLModel session.

Statements are `sqlmodel.select` (and `update`/`delete`) over the table classes, run with
`session.exec`; results become entities by name inside the session, so no table object outlives it and
nothing can lazy-load later. A post read with its author loads both in one statement (`joinedload` on
`PostRow.author`). Hot paths select the table's columns rather than whole table objects: a row of
columns skips the tracking and identity map of a table object (docs/performance.md). Read statements
are built once with bound parameters, so a call only binds values."""

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Integer, bindparam, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlmodel import col, delete, insert, select, update

from application.pagination import Page, PageRequest
from application.ports.audit import AuditEntry
from application.ports.posts import PostWithAuthor
from domain.errors import EmailAlreadyRegistered
from domain.posts import Post
from domain.roles import Role
from domain.sessions import CLIENT_ADDRESS_MAX_LENGTH, RefreshToken, Session
from domain.users import Email, PublicProfile, Suspension, User, UserNotFound
from infrastructure.sql.driver_errors import violates_foreign_key, violates_unique
from infrastructure.sql.engine import UnitSession
from infrastructure.sql.mapping import EntityMapping, fields_of, read_first, read_rows
from infrastructure.sql.tables import (
    AUDIT_ENTRIES,
    AUTHORS,
    POSTS,
    PROFILES,
    REFRESH_TOKENS,
    SESSIONS,
    USERS,
    AuditRow,
    PostRow,
    RefreshTokenRow,
    SessionRow,
    UserRow,
)

T = TypeVar("T", User, PublicProfile, Post)

# Reads select the columns that hold the entity (its EntityMapping's) through the session: a row of
# plain values skips the ORM's per-statement and per-row work that a tracked table object costs. The
# hot writes (a post's create and edit, a refresh's rotation) are Core statements built once, for the
# same reason; the other writes, and the read of a post with its author, go through the table classes
# and their relationship.
_users, _posts = USERS.table, POSTS.table
# Rows after the `after` id in id order, `limit` of them (callers ask one more than they show, to know
# whether a next page exists).
_AFTER, _LIMIT = bindparam("after", type_=Integer), bindparam("limit", type_=Integer)

_USER_BY_ID = select(*USERS.columns).where(_users.c.id == bindparam("id"))
_USER_BY_EMAIL = select(*USERS.columns).where(_users.c.email == bindparam("email"))
_USERS_PAGE = select(*USERS.columns).where(_users.c.id > _AFTER).order_by(_users.c.id).limit(_LIMIT)
# The public reads: what a PublicProfile holds, a third of a user's columns.
_PROFILE_BY_ID = select(*PROFILES.columns).where(_users.c.id == bindparam("id"))
_PROFILES_PAGE = select(*PROFILES.columns).where(_users.c.id > _AFTER).order_by(_users.c.id).limit(_LIMIT)
_POSTS_PAGE = select(*POSTS.columns).where(_posts.c.id > _AFTER).order_by(_posts.c.id).limit(_LIMIT)
_AUTHOR_POSTS_PAGE = (
    select(*POSTS.columns)
    .where(_posts.c.author_id == bindparam("author_id"), _posts.c.id > _AFTER)
    .order_by(_posts.c.id)
    .limit(_LIMIT)
)
# A post is written by a Core INSERT … RETURNING built once: the ORM's flush of a new table object
# (its construction, the unit of work's bookkeeping) cost more than the statement itself.
_INSERT_POST = insert(_posts).returning(_posts.c.id, _posts.c.version)
_POST_BY_ID = select(*POSTS.columns).where(_posts.c.id == bindparam("id"))
# An edit: the editable columns and the version in one statement, built once; with If-Match, only if
# the post is still at one of the expected versions (the check and the write are one statement).
_EDIT_POST = (
    update(_posts)
    .where(_posts.c.id == bindparam("post_id"))
    .values(
        title=bindparam("title"),
        content=bindparam("content"),
        updated_at=bindparam("updated_at"),
        version=_posts.c.version + 1,
    )
    .returning(_posts.c.version)
)
_EDIT_POST_IF = _EDIT_POST.where(_posts.c.version.in_(bindparam("versions", expanding=True)))
_POST_WITH_AUTHOR = (
    select(PostRow)
    .where(PostRow.id == bindparam("id"))
    .options(
        joinedload(PostRow.author)  # type: ignore[arg-type]  # SQLModel types it as the related row
    )
)


async def _page(
    session: UnitSession,
    statement: Any,
    page: PageRequest,
    mapping: EntityMapping[T],
    **params: Any,
) -> Page[T]:
    result = await session.exec(statement, params={"after": page.after, "limit": page.limit + 1, **params})
    items = read_rows(result, mapping)
    return Page.from_overfetch(items, page, lambda item: item.id or 0)


# Written only by their own statements (role changes, suspensions), never by a profile update.
_ADMINISTERED = ("role", "suspension")
# What an edit of a post changes: its author and creation time never do.
_EDITABLE = ("title", "content", "updated_at")


def _with_author(row: PostRow) -> PostWithAuthor:
    """A post table object loaded with its author (eagerly: nothing is lazy-loaded here)."""
    return PostWithAuthor(POSTS.from_fields(fields_of(row)), AUTHORS.from_fields(fields_of(row.author)))


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
    def __init__(self, session: UnitSession) -> None:
        self._session = session

    async def add(self, user: User) -> User:
        row = UserRow(**USERS.values(user))
        self._session.add(row)
        with _unique_email(user.email):
            await self._session.flush()  # INSERT … RETURNING id
        return USERS.from_fields(fields_of(row))

    async def get(self, user_id: int) -> User | None:
        return read_first(await self._session.exec(_USER_BY_ID, params={"id": user_id}), USERS)

    async def get_profile(self, user_id: int) -> PublicProfile | None:
        return read_first(await self._session.exec(_PROFILE_BY_ID, params={"id": user_id}), PROFILES)

    async def list_profiles(self, page: PageRequest) -> Page[PublicProfile]:
        return await _page(self._session, _PROFILES_PAGE, page, PROFILES)

    async def get_by_email(self, email: Email) -> User | None:
        return read_first(await self._session.exec(_USER_BY_EMAIL, params={"email": email.value}), USERS)

    async def list(self, page: PageRequest) -> Page[User]:
        return await _page(self._session, _USERS_PAGE, page, USERS)

    async def update(
        self,
        user: User,
        *,
        if_password_hash: str | None = None,
        if_version_in: Collection[int] | None = None,
    ) -> int | None:
        statement = (
            update(UserRow)
            .where(col(UserRow.id) == user.id)
            .values(**USERS.values(user, exclude=_ADMINISTERED), version=col(UserRow.version) + 1)
            .returning(col(UserRow.version))
        )
        # The profile's columns only: role and suspension have writes of their own (below). Conditional
        # writes: the check and the write are one statement.
        if if_password_hash is not None:
            statement = statement.where(col(UserRow.password_hash) == if_password_hash)
        if if_version_in is not None:
            statement = statement.where(col(UserRow.version).in_(if_version_in))
        with _unique_email(user.email):
            version: int | None = (await self._session.exec(statement)).scalar()
        return version

    async def delete(self, user_id: int, *, if_password_hash: str | None = None) -> bool:
        # Posts go with their author by the foreign key's ON DELETE CASCADE.
        statement = delete(UserRow).where(col(UserRow.id) == user_id)
        if if_password_hash is not None:  # a conditional write: the check and the write are one statement
            statement = statement.where(col(UserRow.password_hash) == if_password_hash)
        result = await self._session.exec(statement)
        return bool(result.rowcount)

    # Administration writes (issue 17): each writes its own columns alone.

    async def lock(self, *user_ids: int) -> dict[int, User]:
        # FOR UPDATE in id order on PostgreSQL; SQLite has no row locks (its writing units of work take
        # turns, which serialises them anyway) and SQLAlchemy leaves the clause out there.
        statement = (
            select(*USERS.columns).where(_users.c.id.in_(user_ids)).order_by(_users.c.id).with_for_update()
        )
        users = read_rows(await self._session.exec(statement), USERS)
        return {user.id: user for user in users if user.id is not None}

    async def set_role(self, user_id: int, role: Role, *, if_role: Role) -> bool:
        statement = (
            update(UserRow)
            .where(col(UserRow.id) == user_id, col(UserRow.role) == if_role.value)
            .values(role=role.value, version=col(UserRow.version) + 1)
        )
        return bool((await self._session.exec(statement)).rowcount)

    async def set_suspension(self, user_id: int, suspension: Suspension | None) -> bool:
        values = {
            "suspended_at": suspension.since if suspension else None,
            "suspension_reason": suspension.reason if suspension else None,
        }
        statement = (
            update(UserRow)
            .where(col(UserRow.id) == user_id)
            .values(**values, version=col(UserRow.version) + 1)
        )
        return bool((await self._session.exec(statement)).rowcount)

    async def rotate_credentials_stamp(self, user_id: int, stamp: str) -> bool:
        statement = update(UserRow).where(col(UserRow.id) == user_id).values(credentials_stamp=stamp)
        return bool((await self._session.exec(statement)).rowcount)


class SqlPostRepository:
    def __init__(self, session: UnitSession) -> None:
        self._session = session

    async def add(self, post: Post) -> Post:
        try:
            result = await self._session.exec(_INSERT_POST, params=POSTS.values(post))
        except IntegrityError as error:  # no such author (deleted meanwhile)
            if violates_foreign_key(error, "fk_post_author_id_user"):
                raise UserNotFound(post.author_id) from error
            raise
        post_id, version = result.one()
        return replace(post, id=post_id, version=version)

    async def get(self, post_id: int) -> Post | None:
        return read_first(await self._session.exec(_POST_BY_ID, params={"id": post_id}), POSTS)

    async def get_with_author(self, post_id: int) -> PostWithAuthor | None:
        row = (await self._session.exec(_POST_WITH_AUTHOR, params={"id": post_id})).first()
        return _with_author(row) if row else None

    async def list(self, page: PageRequest, author_id: int | None = None) -> Page[Post]:
        if author_id is None:
            return await _page(self._session, _POSTS_PAGE, page, POSTS)
        return await _page(self._session, _AUTHOR_POSTS_PAGE, page, POSTS, author_id=author_id)

    async def update(self, post: Post, *, if_version_in: Collection[int] | None = None) -> int | None:
        params: dict[str, Any] = {"post_id": post.id, **POSTS.values(post, only=_EDITABLE)}
        statement = _EDIT_POST
        if if_version_in is not None:
            statement, params["versions"] = _EDIT_POST_IF, list(if_version_in)
        version: int | None = (await self._session.exec(statement, params=params)).scalar()
        return version

    async def delete(self, post_id: int, *, if_version_in: Collection[int] | None = None) -> bool:
        statement = delete(PostRow).where(col(PostRow.id) == post_id)
        if if_version_in is not None:
            statement = statement.where(col(PostRow.version).in_(if_version_in))
        return bool((await self._session.exec(statement)).rowcount)

    async def renew_versions_of_author(self, author_id: int) -> None:
        statement = update(PostRow).where(col(PostRow.author_id) == author_id)
        await self._session.exec(statement.values(version=col(PostRow.version) + 1))


_sessions = SESSIONS.table
_SESSION_EXISTS = select(_sessions.c.id).where(
    _sessions.c.id == bindparam("id"), _sessions.c.user_id == bindparam("user_id")
)
# The per-request check of an access token: its user, only while its session exists, in one statement.
_USER_IN_SESSION = (
    select(*USERS.columns)
    .join(_sessions, _sessions.c.user_id == _users.c.id)
    .where(_users.c.id == bindparam("user_id"), _sessions.c.id == bindparam("session_id"))
)
_refresh_tokens = REFRESH_TOKENS.table
# A refresh's writes, built once: the old token marked rotated (only if it was current: the check and
# the write are one statement), the new one inserted, the session touched.
_ROTATE_TOKEN = (
    update(_refresh_tokens)
    .where(_refresh_tokens.c.token_hash == bindparam("old_hash"), _refresh_tokens.c.rotated_at.is_(None))
    .values(rotated_at=bindparam("now"))
)
_INSERT_REFRESH_TOKEN = insert(_refresh_tokens)
_TOUCH_SESSION = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("session_id"))
    .values(last_used_at=bindparam("now"), client_address=bindparam("address"))
)
_TOKEN_WITH_SESSION: Any = (  # Any: sqlmodel types a two-entity select as one
    select(RefreshTokenRow, SessionRow)
    .join(SessionRow, col(SessionRow.id) == col(RefreshTokenRow.session_id))
    .where(col(RefreshTokenRow.token_hash) == bindparam("token_hash"))
)


class SqlSessionStore:
    def __init__(self, session: UnitSession) -> None:
        self._session = session

    async def add(self, session: Session, token: RefreshToken) -> None:
        self._session.add(SessionRow(**SESSIONS.values(session)))
        try:
            await self._session.flush()
        except IntegrityError as error:  # the user was deleted meanwhile
            if violates_foreign_key(error, "fk_auth_session_user_id_user"):
                raise UserNotFound(session.user_id) from error
            raise
        self._session.add(RefreshTokenRow(**REFRESH_TOKENS.values(token)))
        await self._session.flush()

    async def get(self, session_id: str) -> Session | None:
        row = (await self._session.exec(select(SessionRow).where(col(SessionRow.id) == session_id))).first()
        return SESSIONS.from_fields(fields_of(row)) if row else None

    async def exists(self, session_id: str, user_id: int) -> bool:
        result = await self._session.exec(_SESSION_EXISTS, params={"id": session_id, "user_id": user_id})
        return result.first() is not None

    async def user_in_session(self, user_id: int, session_id: str) -> User | None:
        params = {"user_id": user_id, "session_id": session_id}
        return read_first(await self._session.exec(_USER_IN_SESSION, params=params), USERS)

    async def list_for_user(self, user_id: int) -> list[Session]:
        statement = (
            select(SessionRow)
            .where(col(SessionRow.user_id) == user_id)
            .order_by(col(SessionRow.created_at), col(SessionRow.id))
        )
        return [SESSIONS.from_fields(fields_of(row)) for row in (await self._session.exec(statement)).all()]

    async def find_token(self, token_hash: str) -> tuple[RefreshToken, Session] | None:
        found = (await self._session.exec(_TOKEN_WITH_SESSION, params={"token_hash": token_hash})).first()
        if found is None:
            return None
        token, session = found
        return REFRESH_TOKENS.from_fields(fields_of(token)), SESSIONS.from_fields(fields_of(session))

    async def rotate(self, old_hash: str, new: RefreshToken, now: datetime, client_address: str) -> bool:
        # The check and the write are one statement: of two refreshes of one token, one updates the
        # row, the other (on PostgreSQL, after waiting for the first's row lock) finds it rotated.
        rotated = await self._session.exec(_ROTATE_TOKEN, params={"old_hash": old_hash, "now": now})
        if not rotated.rowcount:
            return False
        await self._session.exec(_INSERT_REFRESH_TOKEN, params=REFRESH_TOKENS.values(new))
        address = client_address[:CLIENT_ADDRESS_MAX_LENGTH]
        params = {"session_id": new.session_id, "now": now, "address": address}
        await self._session.exec(_TOUCH_SESSION, params=params)
        return True

    async def end(self, session_id: str, user_id: int | None = None) -> bool:
        # Its refresh tokens go with it (ON DELETE CASCADE).
        statement = delete(SessionRow).where(col(SessionRow.id) == session_id)
        if user_id is not None:
            statement = statement.where(col(SessionRow.user_id) == user_id)
        return bool((await self._session.exec(statement)).rowcount)

    async def end_all(self, user_id: int) -> int:
        result = await self._session.exec(delete(SessionRow).where(col(SessionRow.user_id) == user_id))
        return int(result.rowcount)

    async def prune(self, user_id: int, now: datetime, idle: timedelta) -> None:
        await self._session.exec(
            delete(SessionRow).where(
                col(SessionRow.user_id) == user_id,
                or_(col(SessionRow.expires_at) <= now, col(SessionRow.last_used_at) <= now - idle),
            )
        )


class SqlAuditLog:
    def __init__(self, session: UnitSession) -> None:
        self._session = session

    async def add(self, entry: AuditEntry) -> None:
        self._session.add(AuditRow(**AUDIT_ENTRIES.values(entry)))
        await self._session.flush()

    async def list(self, page: PageRequest) -> Page[AuditEntry]:
        statement = (
            select(AuditRow)
            .where(col(AuditRow.id) > page.after)
            .order_by(col(AuditRow.id))
            .limit(page.limit + 1)
        )
        entries = [
            AUDIT_ENTRIES.from_fields(fields_of(row)) for row in (await self._session.exec(statement)).all()
        ]
        return Page.from_overfetch(entries, page, lambda entry: entry.id or 0)
