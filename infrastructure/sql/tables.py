"""SQLModel table classes: the database schema and its relationships, each followed by how its entity is
stored in it (an EntityMapping, derived from the entity's fields). They never leave the
infrastructure.sql package: repositories map them (or rows of their columns) to entities by name."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, LargeBinary, MetaData, String, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from application.ports.audit import AuditEntry
from application.ports.idempotency import CALLER_MAX_LENGTH, FINGERPRINT_LENGTH, KEY_MAX_LENGTH, TOKEN_LENGTH
from application.ports.posts import AuthorSummary
from application.ports.recovery import OneTimeToken
from domain.comments import BODY_MAX_LENGTH, Comment
from domain.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH, Post
from domain.roles import ROLE_MAX_LENGTH
from domain.sessions import (
    CLIENT_ADDRESS_MAX_LENGTH,
    SESSION_ID_LENGTH,
    TOKEN_HASH_LENGTH,
    USER_AGENT_MAX_LENGTH,
    RefreshToken,
    Session,
)
from domain.users import (
    CREDENTIALS_STAMP_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PASSWORD_HASH_MAX_LENGTH,
    SUSPENSION_REASON_MAX_LENGTH,
    PublicProfile,
    User,
)
from infrastructure.sql.mapping import EntityMapping, table_of

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
AUDIT_ACTION_MAX_LENGTH = 64
AUDIT_TARGET_MAX_LENGTH = 64
AUDIT_REASON_MAX_LENGTH = 600  # a suspension reason, or a role change, or who authored a post or comment
REQUEST_ID_MAX_LENGTH = 128


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
    # Sessions and roles (issue 17). Written only by their own targeted statements (role changes,
    # suspensions), never by a profile update, so neither undoes the other.
    role: str = Field(
        sa_type=String(ROLE_MAX_LENGTH), nullable=False, sa_column_kwargs={"server_default": "member"}
    )
    suspended_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    suspension_reason: str | None = Field(
        default=None, sa_type=String(SUSPENSION_REASON_MAX_LENGTH), nullable=True
    )

    # Null until the owner follows a verification link; rows from before the column are unverified.
    email_verified_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)

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
    # Kept exact by the statements that add and remove comments (`comment_count + 1`, `- 1`), in their
    # transaction; never by an update of the post, which leaves its version alone.
    comment_count: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})

    author: UserRow = Relationship(back_populates="posts")


USERS = EntityMapping(
    User,
    table_of(UserRow),
    generated=("id", "version"),
    value_objects={"suspension": {"since": "suspended_at", "reason": "suspension_reason"}},
)
PROFILES = EntityMapping(PublicProfile, table_of(UserRow))
AUTHORS = EntityMapping(AuthorSummary, table_of(UserRow))
POSTS = EntityMapping(Post, table_of(PostRow), generated=("id", "version", "comment_count"))


class CommentRow(SQLModel, table=True):
    """A comment under a post: deleted with its post, and with its author (whose deletion uncounts
    their comments first: application.users.DeleteAccount)."""

    __tablename__ = "comment"
    __table_args__ = (
        # (post_id, id) serves "this post's comments after id X, oldest first" from the index alone;
        # (author_id) finds an author's comments when their name changes or their account goes.
        Index("ix_comment_post_id_id", "post_id", "id"),
        Index("ix_comment_author_id", "author_id"),
        NO_ID_REUSE,
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", ondelete="CASCADE", nullable=False)
    author_id: int = Field(foreign_key="user.id", ondelete="CASCADE", nullable=False)
    body: str = Field(sa_type=String(BODY_MAX_LENGTH), nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    updated_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    # Incremented by every UPDATE of the comment, and of its author's name; conditional writes compare it.
    version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})


COMMENTS = EntityMapping(Comment, table_of(CommentRow), generated=("id", "version"))


# --- Account recovery (issue 16): one-time tokens and the mail outbox ---------------------------------

TOKEN_PURPOSE_MAX_LENGTH = 32
MAIL_SUBJECT_MAX_LENGTH = 255
OUTBOX_KEY_LENGTH = 32
OUTBOX_ERROR_MAX_LENGTH = 500
TRACEPARENT_MAX_LENGTH = 55  # W3C trace context, version 00: 2 + 1 + 32 + 1 + 16 + 1 + 2


class OneTimeTokenRow(SQLModel, table=True):
    """A mailed token, by the hash of its text only. Redeeming deletes the row."""

    __tablename__ = "one_time_token"
    # "this user's tokens of this purpose": what a new token or a password change ends.
    __table_args__ = (Index("ix_one_time_token_user_id_purpose", "user_id", "purpose"),)

    token_hash: str = Field(sa_type=String(TOKEN_HASH_LENGTH), primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", nullable=False)
    purpose: str = Field(sa_type=String(TOKEN_PURPOSE_MAX_LENGTH), nullable=False)
    email: str = Field(sa_type=String(EMAIL_MAX_LENGTH), nullable=False)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)


ONE_TIME_TOKENS = EntityMapping(OneTimeToken, table_of(OneTimeTokenRow))


class OutboxColumns(SQLModel):
    """The columns every outbox table has: how its rows are delivered. `status`: pending, sent or
    failed. A pending row is due at `next_attempt_at`; a claimed one is pushed past its lease, so a
    delivery that dies midway is retried after it. `traceparent`: the trace context of the request that
    wrote the row (infrastructure.outbox.trace_context), when there was one."""

    id: int | None = Field(default=None, primary_key=True)
    # Random: the stable Message-ID or event id of every attempt, unique across databases and restores.
    key: str = Field(sa_type=String(OUTBOX_KEY_LENGTH), nullable=False, unique=True)
    status: str = Field(sa_type=String(10), nullable=False)
    attempts: int = Field(default=0, nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    last_error: str | None = Field(default=None, sa_type=String(OUTBOX_ERROR_MAX_LENGTH), nullable=True)
    traceparent: str | None = Field(default=None, sa_type=String(TRACEPARENT_MAX_LENGTH), nullable=True)


class MailOutboxRow(OutboxColumns, table=True):
    """A message to send, written with the change it announces. The body (which may hold a link with a
    token) is cleared once the message is sent or given up."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        NO_ID_REUSE,
    )

    recipient: str = Field(sa_type=String(EMAIL_MAX_LENGTH), nullable=False)
    subject: str = Field(sa_type=String(MAIL_SUBJECT_MAX_LENGTH), nullable=False)
    body: str = Field(sa_type=Text, nullable=False)


# --- Sessions, roles and moderation (issue 17) ---------------------------------------------------------


class SessionRow(SQLModel, table=True):
    """A session (a login and its refreshes). Ending it deletes the row, and its refresh tokens with it;
    deleting the user deletes their sessions."""

    __tablename__ = "auth_session"

    id: str = Field(sa_type=String(SESSION_ID_LENGTH), primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", nullable=False, index=True)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    last_used_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    client_address: str = Field(sa_type=String(CLIENT_ADDRESS_MAX_LENGTH), nullable=False)
    user_agent: str = Field(sa_type=String(USER_AGENT_MAX_LENGTH), nullable=False)


class RefreshTokenRow(SQLModel, table=True):
    """Every refresh token a session had, as its SHA-256: the current one (`rotated_at` NULL) and those
    rotated before it, kept to recognise their reuse."""

    __tablename__ = "refresh_token"

    token_hash: str = Field(sa_type=String(TOKEN_HASH_LENGTH), primary_key=True)
    session_id: str = Field(
        sa_type=String(SESSION_ID_LENGTH),
        foreign_key="auth_session.id",
        ondelete="CASCADE",
        nullable=False,
        index=True,
    )
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    rotated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


SESSIONS = EntityMapping(Session, table_of(SessionRow))
REFRESH_TOKENS = EntityMapping(RefreshToken, table_of(RefreshTokenRow))


class AuditRow(SQLModel, table=True):
    """The audit log: append-only. No foreign keys: an entry outlives the users and posts it names."""

    __tablename__ = "audit_event"
    __table_args__ = NO_ID_REUSE

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    actor_id: int | None = Field(default=None, nullable=True)
    action: str = Field(sa_type=String(AUDIT_ACTION_MAX_LENGTH), nullable=False)
    target: str = Field(sa_type=String(AUDIT_TARGET_MAX_LENGTH), nullable=False)
    reason: str | None = Field(default=None, sa_type=String(AUDIT_REASON_MAX_LENGTH), nullable=True)
    request_id: str | None = Field(default=None, sa_type=String(REQUEST_ID_MAX_LENGTH), nullable=True)


AUDIT_ENTRIES = EntityMapping(AuditEntry, table_of(AuditRow), generated=("id",))


# --- Idempotent creates (issue 18) ------------------------------------------------------------------------


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


# --- Domain events (issue 27) ---------------------------------------------------------------------------

EVENT_TYPE_MAX_LENGTH = 100
EVENT_SUBJECT_MAX_LENGTH = 100


class EventOutboxRow(OutboxColumns, table=True):
    """A domain event to publish, written with the change it announces (application.ports.events).
    Rows of one subject are published one at a time in id order, which is their commit order."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        Index("ix_event_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # "an earlier pending event of this subject?": what holds a later one back.
        Index("ix_event_outbox_subject_status_id", "subject", "status", "id"),
        NO_ID_REUSE,
    )

    type: str = Field(sa_type=String(EVENT_TYPE_MAX_LENGTH), nullable=False)
    subject: str = Field(sa_type=String(EVENT_SUBJECT_MAX_LENGTH), nullable=False)
    data: str = Field(sa_type=Text, nullable=False)  # JSON
