"""Sessions, roles and moderation: session storage, administration writes of users, the audit log."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from application.pagination import Page, PageRequest
from application.ports.storage import ReadUnitOfWork, UnitOfWork, UserRepository
from domain.roles import Role
from domain.sessions import RefreshToken, Session
from domain.users import Suspension, User


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
