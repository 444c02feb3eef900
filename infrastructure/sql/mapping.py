"""Table rows ↔ entities, by name: each mapping reads the fields of a row by column name, never by a
position written in the code, whether the row was a table object (`fields_of(row)`) or columns selected
through the session (a reader made from the result's column names). Table classes never leave
infrastructure.sql."""

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlmodel import SQLModel

from application.ports.audit import AuditAction, AuditEntry
from application.ports.posts import AuthorSummary, PostWithAuthor
from domain.posts import Post
from domain.roles import Role
from domain.sessions import RefreshToken, Session
from domain.users import Email, PublicProfile, Suspension, User
from infrastructure.sql.tables import PostRow

Fields = Mapping[str, Any]
T = TypeVar("T")


def table_of(table_class: type[SQLModel]) -> Table:
    """The table a table class maps: what hot reads select columns of (`table_of(UserRow).c`)."""
    table: Table = table_class.__table__  # type: ignore[attr-defined]
    return table


# `result: Any`: sqlmodel's `select` types a selection of more than four columns as if it were one, so
# `session.exec` claims to return a ScalarResult where it returns rows.


RowReader = Callable[[Sequence[Any]], T]


def read_rows(result: Any, reader: Callable[[Sequence[str]], RowReader[T]]) -> list[T]:
    """Every row of `result` through a reader made once from the result's column names: reading
    `row.name` on a SQLAlchemy Row, or a dict per row, would cost a page hundreds of times over (README
    "How it stays fast")."""
    read = reader(tuple(result.keys()))
    return [read(row) for row in result.all()]


def read_first(result: Any, reader: Callable[[Sequence[str]], RowReader[T]]) -> T | None:
    row = result.first()
    return reader(tuple(result.keys()))(row) if row is not None else None


def fields_of(row: SQLModel) -> Fields:
    """The column values of a table object, by name."""
    return row.model_dump()


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# A dict lookup: calling Role(value) goes through the enum machinery, ~10x slower, once per row.
_ROLES = {role.value: role for role in Role}


def user_reader(names: Sequence[str]) -> RowReader[User]:
    """Users from rows whose columns are called `names` (a user table's, in any order)."""
    at = {name: index for index, name in enumerate(names)}
    id_, name, email, password_hash = at["id"], at["name"], at["email"], at["password_hash"]
    created_at, credentials_stamp, version = at["created_at"], at["credentials_stamp"], at["version"]
    email_verified_at = at["email_verified_at"]
    role, suspended_at, suspension_reason = at["role"], at["suspended_at"], at["suspension_reason"]
    return lambda row: User(
        id=row[id_],
        name=row[name],
        email=Email.trusted(row[email]),  # validated on the way in
        password_hash=row[password_hash],
        created_at=aware(row[created_at]),
        credentials_stamp=row[credentials_stamp],
        email_verified_at=aware(row[email_verified_at]) if row[email_verified_at] is not None else None,
        role=_ROLES[row[role]],
        suspension=(
            None
            if row[suspended_at] is None
            else Suspension(since=aware(row[suspended_at]), reason=row[suspension_reason] or "")
        ),
        version=row[version],
    )


def profile_reader(names: Sequence[str]) -> RowReader[PublicProfile]:
    """Public profiles from rows whose columns are called `names` (id, name, created_at and version, in
    any order)."""
    at = {name: index for index, name in enumerate(names)}
    id_, name, created_at, version = at["id"], at["name"], at["created_at"], at["version"]
    return lambda row: PublicProfile(row[id_], row[name], aware(row[created_at]), row[version])


def to_user(fields: Fields) -> User:
    return user_reader(tuple(fields))(tuple(fields.values()))


def user_values(user: User) -> dict[str, Any]:
    """The stored fields of a user, by column name (the id and the version are the database's)."""
    return user_profile_values(user) | user_admin_values(user)


def user_profile_values(user: User) -> dict[str, Any]:
    """The fields a profile update writes."""
    return {
        "name": user.name,
        "email": user.email.value,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "credentials_stamp": user.credentials_stamp,
        "email_verified_at": user.email_verified_at,
    }


def user_admin_values(user: User) -> dict[str, Any]:
    """The columns only the administration writes change (role, suspension): a profile update leaves
    them out, so that it never undoes a concurrent role change or suspension."""
    return {
        "role": user.role.value,
        "suspended_at": user.suspension.since if user.suspension else None,
        "suspension_reason": user.suspension.reason if user.suspension else None,
    }


def post_reader(names: Sequence[str]) -> RowReader[Post]:
    """Posts from rows whose columns are called `names` (a post table's, in any order)."""
    at = {name: index for index, name in enumerate(names)}
    id_, title, content, author_id = at["id"], at["title"], at["content"], at["author_id"]
    created_at, updated_at, version = at["created_at"], at["updated_at"], at["version"]
    return lambda row: Post(
        id=row[id_],
        title=row[title],
        content=row[content],
        author_id=row[author_id],
        created_at=aware(row[created_at]),
        updated_at=aware(row[updated_at]),
        version=row[version],
    )


def to_post(fields: Fields) -> Post:
    return post_reader(tuple(fields))(tuple(fields.values()))


def to_post_with_author(row: PostRow) -> PostWithAuthor:
    """A post table object loaded with its author (eagerly: nothing is lazy-loaded here)."""
    author = AuthorSummary(row.author_id, row.author.name, aware(row.author.created_at))
    return PostWithAuthor(to_post(fields_of(row)), author)


def post_values(post: Post) -> dict[str, Any]:
    """The stored fields of a post, by column name (the id and the version are the database's)."""
    return {
        "title": post.title,
        "content": post.content,
        "author_id": post.author_id,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }


def to_session(fields: Fields) -> Session:
    return Session(
        id=fields["id"],
        user_id=fields["user_id"],
        created_at=aware(fields["created_at"]),
        last_used_at=aware(fields["last_used_at"]),
        expires_at=aware(fields["expires_at"]),
        client_address=fields["client_address"],
        user_agent=fields["user_agent"],
    )


def session_values(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "expires_at": session.expires_at,
        "client_address": session.client_address,
        "user_agent": session.user_agent,
    }


def to_refresh_token(fields: Fields) -> RefreshToken:
    rotated_at = fields["rotated_at"]
    return RefreshToken(
        token_hash=fields["token_hash"],
        session_id=fields["session_id"],
        created_at=aware(fields["created_at"]),
        rotated_at=aware(rotated_at) if rotated_at is not None else None,
    )


def refresh_token_values(token: RefreshToken) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "session_id": token.session_id,
        "created_at": token.created_at,
        "rotated_at": token.rotated_at,
    }


def to_audit_entry(fields: Fields) -> AuditEntry:
    return AuditEntry(
        id=fields["id"],
        action=AuditAction(fields["action"]),
        target=fields["target"],
        at=aware(fields["at"]),
        actor_id=fields["actor_id"],
        reason=fields["reason"],
        request_id=fields["request_id"],
    )


def audit_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "action": entry.action.value,
        "target": entry.target,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "reason": entry.reason,
        "request_id": entry.request_id,
    }
