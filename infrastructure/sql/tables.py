"""SQLModel table classes: the database schema and its relationships. They never leave the
infrastructure.sql package: repositories map them (or rows of their columns) to entities by name."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, LargeBinary, MetaData, String, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from application.idempotency import CALLER_MAX_LENGTH, FINGERPRINT_LENGTH, KEY_MAX_LENGTH, TOKEN_LENGTH
from domain.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH
from domain.users import (
    CREDENTIALS_STAMP_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PASSWORD_HASH_MAX_LENGTH,
)

# Stable constraint and index names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


# SQLite reuses the highest deleted rowid unless AUTOINCREMENT is asked for: a token of a deleted
# user would then name the next one registered.
NO_ID_REUSE = {"sqlite_autoincrement": True}


class UserRow(SQLModel, table=True):
    __tablename__ = "user"
    __table_args__ = NO_ID_REUSE

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(NAME_MAX_LENGTH), nullable=False)
    # Emails are stored normalised (domain.users.Email), so a plain unique constraint makes
    # two letter cases of one address collide.
    email: str = Field(sa_type=String(EMAIL_MAX_LENGTH), nullable=False, unique=True)
    password_hash: str = Field(sa_type=String(PASSWORD_HASH_MAX_LENGTH), nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    # Rotated on a password change and on signing out everywhere; rows from before the column got 'unset'.
    credentials_stamp: str = Field(
        sa_type=String(CREDENTIALS_STAMP_MAX_LENGTH),
        nullable=False,
        sa_column_kwargs={"server_default": "unset"},
    )
    # Incremented by every UPDATE (`version = version + 1`); conditional writes compare it.
    version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})

    # The database deletes a user's posts (ON DELETE CASCADE); the session need not load them first.
    posts: list["PostRow"] = Relationship(back_populates="author", cascade_delete=True, passive_deletes=True)


class PostRow(SQLModel, table=True):
    __tablename__ = "post"
    # (author_id, id) serves "this author's posts after id X in id order" from the index alone.
    __table_args__ = (Index("ix_post_author_id_id", "author_id", "id"), NO_ID_REUSE)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=String(TITLE_MAX_LENGTH), nullable=False)
    content: str = Field(sa_type=String(CONTENT_MAX_LENGTH), nullable=False)
    author_id: int = Field(foreign_key="user.id", ondelete="CASCADE", nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    updated_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    # Incremented by every UPDATE of the post, and of its author's name; conditional writes compare it.
    version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})

    author: UserRow = Relationship(back_populates="posts")


class IdempotencyRecordRow(SQLModel, table=True):
    """A request sent with an Idempotency-Key, and its answer once it has one (application.idempotency)."""

    __tablename__ = "idempotency_record"
    # Decides between concurrent requests with one key, on every instance.
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    caller: str = Field(sa_type=String(CALLER_MAX_LENGTH), nullable=False)
    key: str = Field(sa_type=String(KEY_MAX_LENGTH), nullable=False)
    fingerprint: str = Field(sa_type=String(FINGERPRINT_LENGTH), nullable=False)
    token: str = Field(sa_type=String(TOKEN_LENGTH), nullable=False)
    locked_until: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    # Expired records are deleted by the claims that follow: indexed for that.
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False, index=True)
    # The answer: all null while the first request runs.
    status: int | None = Field(default=None, nullable=True)
    headers: list[list[str]] | None = Field(default=None, sa_type=JSON, nullable=True)
    body: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
