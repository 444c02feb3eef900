"""Sessions and their refresh tokens in memory."""

from dataclasses import replace
from datetime import datetime, timedelta

from domain.errors import Conflict
from domain.sessions import CLIENT_ADDRESS_MAX_LENGTH, RefreshToken, Session, SessionNotFound
from domain.users import User
from infrastructure.memory.repository import InMemoryRepository, Staged, copied
from infrastructure.memory.tables import TableSpec
from infrastructure.memory.users import USERS

SESSIONS: TableSpec[Session] = TableSpec(
    "sessions", parents=((USERS, lambda session: session.user_id),), not_found=SessionNotFound
)
REFRESH_TOKENS: TableSpec[RefreshToken] = TableSpec(
    "refresh_tokens", parents=((SESSIONS, lambda token: token.session_id),)
)


def _rotated_by_another() -> Exception:
    return Conflict("The refresh token was rotated by another unit of work")


class InMemorySessionStore(InMemoryRepository):
    _sessions = Staged(SESSIONS)
    _tokens = Staged(REFRESH_TOKENS)
    _users = Staged(USERS)

    async def add(self, session: Session, token: RefreshToken) -> None:
        self._uow.insert(SESSIONS, session.id, session)
        self._tokens.rows[token.token_hash] = token

    async def get(self, session_id: str) -> Session | None:
        return self._sessions.rows.get(session_id)

    async def exists(self, session_id: str, user_id: int) -> bool:
        session = self._sessions.rows.get(session_id)
        return session is not None and session.user_id == user_id

    async def user_in_session(self, user_id: int, session_id: str) -> User | None:
        if not await self.exists(session_id, user_id):
            return None
        return copied(self._users.rows.get(user_id))

    async def list_for_user(self, user_id: int) -> list[Session]:
        sessions = [s for s in self._sessions.rows.values() if s.user_id == user_id]
        return sorted(sessions, key=lambda s: (s.created_at, s.id))

    async def find_token(self, token_hash: str) -> tuple[RefreshToken, Session] | None:
        token = self._tokens.rows.get(token_hash)
        session = self._sessions.rows.get(token.session_id) if token else None
        return (token, session) if token and session else None

    async def rotate(self, old_hash: str, new: RefreshToken, now: datetime, client_address: str) -> bool:
        old = self._tokens.rows.get(old_hash)
        session = self._sessions.rows.get(new.session_id)
        if old is None or old.rotated_at is not None or session is None:
            return False
        self._tokens.rows[old_hash] = replace(old, rotated_at=now)
        self._tokens.rows[new.token_hash] = new
        self._sessions.rows[session.id] = replace(
            session, last_used_at=now, client_address=client_address[:CLIENT_ADDRESS_MAX_LENGTH]
        )
        # A conditional write another unit of work may win meanwhile: checked again at commit.
        self._tokens.expect(
            old_hash,
            lambda committed: committed is not None and committed.rotated_at is None,
            _rotated_by_another,
        )
        return True

    async def end(self, session_id: str, user_id: int | None = None) -> bool:
        session = self._sessions.rows.get(session_id)
        if session is None or (user_id is not None and session.user_id != user_id):
            return False
        self._uow.delete(SESSIONS, session_id)
        return True

    async def end_all(self, user_id: int) -> int:
        ended = [i for i, s in self._sessions.rows.items() if s.user_id == user_id]
        for session_id in ended:
            self._uow.delete(SESSIONS, session_id)
        return len(ended)

    async def prune(self, user_id: int, now: datetime, idle: timedelta) -> None:
        for session_id, s in list(self._sessions.rows.items()):
            if s.user_id == user_id and (s.expires_at <= now or s.last_used_at <= now - idle):
                self._uow.delete(SESSIONS, session_id)
