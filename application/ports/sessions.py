"""Sessions and their refresh tokens."""

from datetime import datetime, timedelta
from typing import Protocol

from domain.sessions import RefreshToken, Session
from domain.users import User


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
