"""Ports: what the use cases need from the outside world, as Protocols the adapters implement."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from types import TracebackType
from typing import Protocol, Self

from application.idempotency import IdempotencyRecord, StoredResponse
from application.pagination import Page, PageRequest
from domain.posts import Post
from domain.roles import Role
from domain.sessions import RefreshToken, Session
from domain.users import Email, Suspension, User


@dataclass(frozen=True, slots=True)
class AuthorSummary:
    """A post's author as anyone may see them: no email."""

    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PostWithAuthor:
    """Read model: a post and who wrote it, loaded together."""

    post: Post
    author: AuthorSummary


class UserReader(Protocol):
    """Reads users."""

    async def get(self, user_id: int) -> User | None: ...

    async def get_by_email(self, email: Email) -> User | None: ...

    async def list(self, page: PageRequest) -> Page[User]:
        """Users in id order, keyset-paged."""
        ...


class UserRepository(UserReader, Protocol):
    """Stores users. Emails are unique: `add` and `update` raise EmailAlreadyRegistered for a taken one."""

    async def add(self, user: User) -> User:
        """Store a new user and return it with its assigned id."""
        ...

    async def update(
        self,
        user: User,
        *,
        if_password_hash: str | None = None,
        if_version_in: Collection[int] | None = None,
    ) -> int | None:
        """Store the user's fields and increment their version; return the new version (≥ 2, so true).
        With `if_password_hash` and/or `if_version_in`, a conditional write: only if the stored hash is
        still that one and the stored version one of those, checked in the writing statement. None when
        nothing was written (no such user, or a condition failed)."""
        ...

    async def delete(self, user_id: int, *, if_password_hash: str | None = None) -> bool:
        """Remove the user and, with them, their posts. With `if_password_hash`, a conditional write as
        in `update`. False when nothing was removed (no such user, or the hash changed)."""
        ...


class PostReader(Protocol):
    """Reads posts."""

    async def get(self, post_id: int) -> Post | None: ...

    async def get_with_author(self, post_id: int) -> PostWithAuthor | None:
        """The post and its author's summary, in one round trip."""
        ...

    async def list(self, page: PageRequest, author_id: int | None = None) -> Page[Post]:
        """Posts in id order, keyset-paged, optionally only those of one author."""
        ...


class PostRepository(PostReader, Protocol):
    async def add(self, post: Post) -> Post:
        """Store a new post and return it with its assigned id; NotFound("User") without its author."""
        ...

    async def update(self, post: Post, *, if_version_in: Collection[int] | None = None) -> int | None:
        """Store its title, content and update time and increment its version; return the new version.
        With `if_version_in`, only if the stored version is one of those, checked in the writing
        statement. None when nothing was written (no such post, or another version)."""
        ...

    async def delete(self, post_id: int, *, if_version_in: Collection[int] | None = None) -> bool:
        """Remove the post (with `if_version_in`: only at one of those versions); False if nothing was."""
        ...

    async def renew_versions_of_author(self, author_id: int) -> None:
        """Increment the version of every post of the author: a post is shown with its author's name."""
        ...


class ReadUnitOfWork(Protocol):
    """A unit of work that only reads, asked for by name by use cases that change nothing. Adapters may
    run it without a transaction: each read sees committed data. Adapters raise
    application.errors.StorageUnavailable when the storage cannot be reached."""

    @property
    def users(self) -> UserReader: ...

    @property
    def posts(self) -> PostReader: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWork(ReadUnitOfWork, Protocol):
    """One transaction over the repositories: every read and write in it, whatever its kind. Leaving the
    context without `commit()` rolls back.

    Reads see committed data (PostgreSQL's READ COMMITTED), so a check followed by a write must be
    backed by a constraint (the unique email) or a conditional write (`update`/`delete(if_password_hash=…)`).
    Adapters raise application.errors.StorageUnavailable when the storage cannot be reached."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def posts(self) -> PostRepository: ...

    @property
    def tokens(self) -> "OneTimeTokenStore": ...

    @property
    def outbox(self) -> "Outbox": ...

    @property
    def idempotency(self) -> "IdempotencyRecords": ...

    async def commit(self) -> None: ...


class PasswordHasher(Protocol):
    """Hashes and verifies passwords; adapters keep slow hashing off the event loop and bounded: beyond
    their queue they raise application.errors.Overloaded instead of starting the work."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """Whether `password` matches `password_hash`. With None (no such user) it takes as long as a
        real verification and returns False, so timing does not tell which emails exist."""
        ...


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Who a token names, the credentials stamp of that user when it was issued, and the session
    (`sid`) it belongs to."""

    user_id: int
    stamp: str
    session_id: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An access token and how many seconds it stays valid."""

    access_token: str
    expires_in: int


class TokenService(Protocol):
    """Issues and reads access tokens."""

    def issue(self, claims: TokenClaims) -> IssuedToken: ...

    def read(self, token: str) -> TokenClaims:
        """The claims of a valid token; InvalidCredentials if it is malformed, forged or expired."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class Throttle(Enum):
    """The budgets a caller spends; the adapter knows each one's limit and window."""

    FAILED_LOGIN_PER_ACCOUNT = "login-account"
    FAILED_LOGIN_PER_ADDRESS = "login-address"
    REGISTRATION_PER_ADDRESS = "register-address"
    POST_PER_USER = "post-user"
    PASSWORD_RESET_PER_ACCOUNT = "reset-account"
    PASSWORD_RESET_PER_ADDRESS = "reset-address"
    TOKEN_CONFIRM_PER_ADDRESS = "confirm-address"
    VERIFICATION_EMAIL_PER_USER = "verification-user"


class RateLimiter(Protocol):
    """Budgets of actions per key (an account, a client address, a user id) over a time window."""

    async def check(self, throttle: Throttle, key: str) -> None:
        """Raise application.errors.RateLimited if `key` has no budget left, spending nothing."""
        ...

    async def hit(self, throttle: Throttle, key: str) -> None:
        """Spend one unit of `key`'s budget; RateLimited (and nothing spent) if none is left."""
        ...

    async def clear(self, throttle: Throttle, key: str) -> None:
        """Give `key` its whole budget back."""
        ...


class Unlimited:
    """A RateLimiter that never refuses: for use cases run outside a server (scripts, unit tests)."""

    async def check(self, throttle: Throttle, key: str) -> None:
        return None

    async def hit(self, throttle: Throttle, key: str) -> None:
        return None

    async def clear(self, throttle: Throttle, key: str) -> None:
        return None


NO_RATE_LIMIT: RateLimiter = Unlimited()


# --- Account recovery: one-time tokens and outgoing mail (issue 16) ---------------------------------


class TokenPurpose(Enum):
    """What a one-time token may be redeemed for; a token of one purpose never serves another."""

    PASSWORD_RESET = "password-reset"
    EMAIL_VERIFICATION = "email-verification"


@dataclass(frozen=True, slots=True)
class OneTimeToken:
    """A stored one-time token: only the SHA-256 hash of what was mailed, whose it is, what for, until
    when, and the address it was sent to (a verification proves that address, not a later one)."""

    token_hash: str
    user_id: int
    purpose: TokenPurpose
    email: str
    expires_at: datetime


class OneTimeTokenStore(Protocol):
    """One-time tokens, looked up by hash. Adapters must make `consume` a single conditional write: of
    two callers redeeming one token, one gets it."""

    async def add(self, token: OneTimeToken) -> None: ...

    async def find(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        """The live (unexpired) token with this hash and purpose, or None; nothing changes."""
        ...

    async def consume(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        """Remove and return the live token with this hash and purpose; None if there is none (used,
        expired, ended or never issued)."""
        ...

    async def revoke(self, user_id: int, purpose: TokenPurpose) -> None:
        """End every token of the user for this purpose."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """A plain-text message to one recipient."""

    to: str
    subject: str
    body: str


class Outbox(Protocol):
    """Mail to send, written in the unit of work of the change it announces: committed together, or
    not at all. A delivery loop sends it later (infrastructure.mail)."""

    async def add(self, mail: OutgoingMail, now: datetime) -> None: ...

    async def add_decoy(self, now: datetime) -> None:
        """The database work of `add` (a write the commit must make durable) with nothing left to
        send: for answers whose time must not tell whether a message was written."""
        ...


@dataclass(frozen=True, slots=True)
class MailMessage:
    """A message on its way out: `message_id` stays the same on every attempt to send it."""

    message_id: str
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    """Delivers one message. Raises application.errors.MailNotSent, saying whether trying again later
    may succeed (connection failures, 4xx answers) or not (5xx answers)."""

    async def send(self, message: MailMessage) -> None: ...


# --- end of account recovery ports --------------------------------------------------------------------


# --- Sessions, roles and moderation (issue 17) -------------------------------------------------------


class UserAdministration(Protocol):
    """Targeted writes of the user columns that only admins (and the sign-out machinery) change. They
    write their own columns alone, so they never undo a concurrent profile change, nor it them."""

    async def lock(self, *user_ids: int) -> dict[int, User]:
        """The users with these ids that exist, their rows locked until the unit of work ends, taken in
        id order (so two units of work locking the same rows cannot deadlock)."""
        ...

    async def set_role(self, user_id: int, role: Role, *, if_role: Role) -> bool:
        """A conditional write: the role becomes `role` only if it is still `if_role`."""
        ...

    async def set_suspension(self, user_id: int, suspension: Suspension | None) -> bool:
        """Suspend (or, with None, reinstate) the user; False when there is no such user."""
        ...

    async def rotate_credentials_stamp(self, user_id: int, stamp: str) -> bool:
        """Store a new credentials stamp: every access token issued before stops being accepted."""
        ...


class SessionReader(Protocol):
    async def get(self, session_id: str) -> Session | None: ...

    async def exists(self, session_id: str, user_id: int) -> bool:
        """Whether the session is still there (not ended) and is `user_id`'s."""
        ...

    async def user_in_session(self, user_id: int, session_id: str) -> User | None:
        """The user, if the session is still there and is theirs: the per-request check of an access
        token, in one statement (the user's row joined with the session's)."""
        ...

    async def list_for_user(self, user_id: int) -> list[Session]:
        """The user's sessions that were not ended, oldest first (expired ones included)."""
        ...


class SessionStore(SessionReader, Protocol):
    """Sessions and their refresh tokens, stored only as hashes. Ending a session removes it with every
    refresh token it had; a user's sessions go when the user does."""

    async def add(self, session: Session, token: RefreshToken) -> None:
        """Store a new session and its first refresh token."""
        ...

    async def find_token(self, token_hash: str) -> tuple[RefreshToken, Session] | None:
        """The refresh token with this hash and its session, if both still exist."""
        ...

    async def rotate(self, old_hash: str, new: RefreshToken, now: datetime, client_address: str) -> bool:
        """A conditional write: mark `old_hash` rotated at `now` only if it is not rotated yet; if so,
        store `new` (its successor in the same session) and mark the session used at `now` from
        `client_address`. False when another refresh rotated it first: nothing is written. (An adapter
        that checks conditional writes at commit, as the in-memory one does, raises Conflict there.)"""
        ...

    async def end(self, session_id: str, user_id: int | None = None) -> bool:
        """End the session (only if it is `user_id`'s, when given): its refresh tokens stop working.
        False when there was no such session."""
        ...

    async def end_all(self, user_id: int) -> int:
        """End every session of the user; how many there were."""
        ...

    async def prune(self, user_id: int, now: datetime, idle: timedelta) -> None:
        """Remove the user's sessions past their absolute end or idle longer than `idle`."""
        ...


class AuditAction(StrEnum):
    POST_DELETED = "post.deleted"
    USER_SUSPENDED = "user.suspended"
    USER_REINSTATED = "user.reinstated"
    ROLE_CHANGED = "user.role_changed"
    REFRESH_TOKEN_REUSED = "session.refresh_token_reused"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who (`actor_id`; None: the command line or the system) did what to whom, when, why, and in which
    request. `target` names the subject: `user:5`, `post:7`, `session:<id>`."""

    action: AuditAction
    target: str
    at: datetime
    actor_id: int | None
    reason: str | None = None
    request_id: str | None = None
    id: int | None = None


class AuditReader(Protocol):
    async def list(self, page: PageRequest) -> Page[AuditEntry]:
        """Entries in id (hence time) order, keyset-paged."""
        ...


class AuditLog(AuditReader, Protocol):
    """Append-only: an entry is written in the unit of work of the action it records."""

    async def add(self, entry: AuditEntry) -> None: ...


class AdministeredUsers(UserRepository, UserAdministration, Protocol):
    """The users repository with the administration writes."""


class SessionUnitOfWork(UnitOfWork, Protocol):
    """The unit of work with the sessions, the administration writes of users and the audit log."""

    @property
    def users(self) -> AdministeredUsers: ...

    @property
    def sessions(self) -> SessionStore: ...

    @property
    def audit(self) -> AuditLog: ...


class SessionReadUnitOfWork(ReadUnitOfWork, Protocol):
    @property
    def sessions(self) -> SessionReader: ...

    @property
    def audit(self) -> AuditReader: ...


# --- Idempotent creates (issue 18): the records of Idempotency-Key requests -------------------------


class IdempotencyRecords(Protocol):
    """Records of idempotent requests, one per (caller, key): unique, whoever writes them concurrently.
    Written in the unit of work of the create they guard. Adapters raise
    application.errors.StorageUnavailable when the storage cannot be reached."""

    async def add(self, record: IdempotencyRecord) -> bool:
        """Store a new record unless one with its caller and key exists (the unique constraint decides,
        waiting for a concurrent writer); False when one did, and nothing was written."""
        ...

    async def get(self, caller: str, key: str) -> IdempotencyRecord | None: ...

    async def take_over(self, record: IdempotencyRecord, from_token: str) -> bool:
        """Replace the running record of `record`'s caller and key held by `from_token` (its lease ran
        out) with `record`, in one conditional statement; False if another got there first."""
        ...

    async def complete(self, caller: str, key: str, token: str, response: StoredResponse) -> bool:
        """Store the answer in the record held by `token`; False (nothing written) if it is not held."""
        ...

    async def release(self, caller: str, key: str, token: str) -> None:
        """Delete the record held by `token`, if it is."""
        ...

    async def delete_expired(self, now: datetime) -> None:
        """Delete every record expired at `now`."""
        ...
