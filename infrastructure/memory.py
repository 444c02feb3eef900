"""In-memory adapters of the repository and unit-of-work ports: first-class, contract-tested, and what
use-case unit tests run on. A unit of work stages changes on copies and applies them on commit."""

import copy
import itertools
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self, TypeVar

from application.pagination import Page, PageRequest
from application.ports.audit import AuditEntry
from application.ports.idempotency import IdempotencyRecord, StoredResponse
from application.ports.mail import OutgoingMail
from application.ports.posts import AuthorSummary, PostWithAuthor
from application.ports.recovery import OneTimeToken, TokenPurpose
from domain.errors import Conflict, EmailAlreadyRegistered
from domain.posts import Post
from domain.roles import Role
from domain.sessions import CLIENT_ADDRESS_MAX_LENGTH, RefreshToken, Session
from domain.users import Email, PublicProfile, Suspension, User, UserNotFound
from infrastructure.mail.queue import MailStatus, QueuedMail, new_mail_key

T = TypeVar("T", User, Post)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class MemoryStore:
    """The committed state shared by every unit of work made from it."""

    users: dict[int, User] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    user_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    post_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    tokens: dict[str, OneTimeToken] = field(default_factory=dict)
    outbox: dict[int, "OutboxRecord"] = field(default_factory=dict)
    mail_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    # Tokens an open unit of work has consumed: what a row lock does in SQL, so of two units of work
    # redeeming one token, one gets it.
    consumed_tokens: set[str] = field(default_factory=set)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)


def _page(items: dict[int, T], page: PageRequest, keep: Callable[[T], bool] = lambda _: True) -> Page[T]:
    ids = sorted(i for i, item in items.items() if i > page.after and keep(item))[: page.limit + 1]
    return Page.from_overfetch([copy.copy(items[i]) for i in ids], page, lambda item: item.id or 0)


def _email_taken(users: Iterable[User], user: User) -> bool:
    return any(other.email == user.email and other.id != user.id for other in users)


class InMemoryUserRepository:
    def __init__(self, uow: "InMemoryUnitOfWork") -> None:
        self._uow = uow

    async def add(self, user: User) -> User:
        if _email_taken(self._uow.staged_users.values(), user):
            raise EmailAlreadyRegistered(user.email.value)
        stored = replace(user.with_id(next(self._uow.store.user_ids)), version=1)
        self._uow.staged_users[stored.id] = stored  # type: ignore[index]
        return copy.copy(stored)

    async def get(self, user_id: int) -> User | None:
        user = self._uow.staged_users.get(user_id)
        return copy.copy(user) if user else None

    async def get_by_email(self, email: Email) -> User | None:
        users = self._uow.staged_users.values()
        return next((copy.copy(u) for u in users if u.email == email), None)

    async def list(self, page: PageRequest) -> Page[User]:
        return _page(self._uow.staged_users, page)

    async def get_profile(self, user_id: int) -> PublicProfile | None:
        user = self._uow.staged_users.get(user_id)
        return user.public_profile() if user else None

    async def list_profiles(self, page: PageRequest) -> Page[PublicProfile]:
        users = _page(self._uow.staged_users, page)
        return Page([user.public_profile() for user in users.items], users.next_cursor)

    async def update(
        self,
        user: User,
        *,
        if_password_hash: str | None = None,
        if_version_in: Collection[int] | None = None,
    ) -> int | None:
        assert user.id is not None
        stored = self._uow.latest_user(user.id)
        if (
            stored is None
            or (if_password_hash is not None and stored.password_hash != if_password_hash)
            or (if_version_in is not None and stored.version not in if_version_in)
        ):
            return None
        if _email_taken(self._uow.staged_users.values(), user):
            raise EmailAlreadyRegistered(user.email.value)
        # As in SQL, the role and the suspension have writes of their own.
        version = stored.version + 1
        self._uow.staged_users[user.id] = replace(
            user, role=stored.role, suspension=stored.suspension, version=version
        )
        return version

    async def lock(self, *user_ids: int) -> dict[int, User]:
        return {
            i: copy.copy(self._uow.staged_users[i]) for i in sorted(user_ids) if i in self._uow.staged_users
        }

    async def set_role(self, user_id: int, role: Role, *, if_role: Role) -> bool:
        return self._replace(user_id, lambda user: user.role is if_role, role=role, new_version=True)

    async def set_suspension(self, user_id: int, suspension: Suspension | None) -> bool:
        return self._replace(user_id, lambda _: True, suspension=suspension, new_version=True)

    async def rotate_credentials_stamp(self, user_id: int, stamp: str) -> bool:
        return self._replace(user_id, lambda _: True, credentials_stamp=stamp)

    def _replace(
        self, user_id: int, expected: Callable[[User], bool], *, new_version: bool = False, **changes: object
    ) -> bool:
        stored = self._uow.staged_users.get(user_id)
        if stored is None or not expected(stored):
            return False
        if new_version:  # as the SQL statement does: the user's entity tag changes
            changes["version"] = stored.version + 1
        self._uow.staged_users[user_id] = replace(stored, **changes)  # type: ignore[arg-type]
        return True

    async def delete(self, user_id: int, *, if_password_hash: str | None = None) -> bool:
        stored = self._uow.staged_users.get(user_id)
        if stored is None or (if_password_hash is not None and stored.password_hash != if_password_hash):
            return False
        del self._uow.staged_users[user_id]
        posts = self._uow.staged_posts
        for post_id in [i for i, post in posts.items() if post.author_id == user_id]:
            del posts[post_id]
        return True


class InMemoryPostRepository:
    def __init__(self, uow: "InMemoryUnitOfWork") -> None:
        self._uow = uow

    async def add(self, post: Post) -> Post:
        if post.author_id not in self._uow.staged_users:  # as the SQL foreign key does
            raise UserNotFound(post.author_id)
        stored = replace(post.with_id(next(self._uow.store.post_ids)), version=1)
        self._uow.staged_posts[stored.id] = stored  # type: ignore[index]
        return copy.copy(stored)

    async def get(self, post_id: int) -> Post | None:
        post = self._uow.staged_posts.get(post_id)
        return copy.copy(post) if post else None

    async def get_with_author(self, post_id: int) -> PostWithAuthor | None:
        post = self._uow.staged_posts.get(post_id)
        if post is None:
            return None
        author = self._uow.staged_users[post.author_id]
        return PostWithAuthor(copy.copy(post), AuthorSummary(post.author_id, author.name, author.created_at))

    async def list(self, page: PageRequest, author_id: int | None = None) -> Page[Post]:
        return _page(self._uow.staged_posts, page, lambda p: author_id is None or p.author_id == author_id)

    async def update(self, post: Post, *, if_version_in: Collection[int] | None = None) -> int | None:
        """Title, content and update time change; author and creation time never do."""
        assert post.id is not None
        stored = self._uow.latest_post(post.id)
        if stored is None or (if_version_in is not None and stored.version not in if_version_in):
            return None
        self._uow.staged_posts[post.id] = replace(
            stored,
            title=post.title,
            content=post.content,
            updated_at=post.updated_at,
            version=stored.version + 1,
        )
        return stored.version + 1

    async def delete(self, post_id: int, *, if_version_in: Collection[int] | None = None) -> bool:
        stored = self._uow.latest_post(post_id)
        if stored is None or (if_version_in is not None and stored.version not in if_version_in):
            return False
        del self._uow.staged_posts[post_id]
        return True

    async def renew_versions_of_author(self, author_id: int) -> None:
        posts = self._uow.staged_posts
        for post_id, post in list(posts.items()):
            if post.author_id == author_id:
                posts[post_id] = replace(post, version=post.version + 1)


class InMemorySessionStore:
    def __init__(self, uow: "InMemoryUnitOfWork") -> None:
        self._uow = uow

    async def add(self, session: Session, token: RefreshToken) -> None:
        if session.user_id not in self._uow.staged_users:  # as the SQL foreign key does
            raise UserNotFound(session.user_id)
        self._uow.staged_sessions[session.id] = session
        self._uow.staged_tokens[token.token_hash] = token

    async def get(self, session_id: str) -> Session | None:
        return self._uow.staged_sessions.get(session_id)

    async def exists(self, session_id: str, user_id: int) -> bool:
        session = self._uow.staged_sessions.get(session_id)
        return session is not None and session.user_id == user_id

    async def user_in_session(self, user_id: int, session_id: str) -> User | None:
        if not await self.exists(session_id, user_id):
            return None
        user = self._uow.staged_users.get(user_id)
        return copy.copy(user) if user else None

    async def list_for_user(self, user_id: int) -> list[Session]:
        sessions = [s for s in self._uow.staged_sessions.values() if s.user_id == user_id]
        return sorted(sessions, key=lambda s: (s.created_at, s.id))

    async def find_token(self, token_hash: str) -> tuple[RefreshToken, Session] | None:
        token = self._uow.staged_tokens.get(token_hash)
        session = self._uow.staged_sessions.get(token.session_id) if token else None
        return (token, session) if token and session else None

    async def rotate(self, old_hash: str, new: RefreshToken, now: datetime, client_address: str) -> bool:
        old = self._uow.staged_tokens.get(old_hash)
        session = self._uow.staged_sessions.get(new.session_id)
        if old is None or old.rotated_at is not None or session is None:
            return False
        self._uow.staged_tokens[old_hash] = replace(old, rotated_at=now)
        self._uow.staged_tokens[new.token_hash] = new
        self._uow.staged_sessions[session.id] = replace(
            session, last_used_at=now, client_address=client_address[:CLIENT_ADDRESS_MAX_LENGTH]
        )
        self._uow.rotated.add(old_hash)
        return True

    async def end(self, session_id: str, user_id: int | None = None) -> bool:
        session = self._uow.staged_sessions.get(session_id)
        if session is None or (user_id is not None and session.user_id != user_id):
            return False
        del self._uow.staged_sessions[session_id]
        return True

    async def end_all(self, user_id: int) -> int:
        ended = [i for i, s in self._uow.staged_sessions.items() if s.user_id == user_id]
        for session_id in ended:
            del self._uow.staged_sessions[session_id]
        return len(ended)

    async def prune(self, user_id: int, now: datetime, idle: timedelta) -> None:
        for session_id, s in list(self._uow.staged_sessions.items()):
            if s.user_id == user_id and (s.expires_at <= now or s.last_used_at <= now - idle):
                del self._uow.staged_sessions[session_id]


class InMemoryAuditLog:
    def __init__(self, uow: "InMemoryUnitOfWork") -> None:
        self._uow = uow

    async def add(self, entry: AuditEntry) -> None:
        self._uow.staged_audit.append(entry)

    async def list(self, page: PageRequest) -> Page[AuditEntry]:
        entries = [e for e in self._uow.store.audit if (e.id or 0) > page.after][: page.limit + 1]
        return Page.from_overfetch(entries, page, lambda entry: entry.id or 0)


class InMemoryIdempotencyRecords:
    """Each check compares with the last committed records (as a unique constraint does), and a claim's
    unit of work commits with no pause in between: one claim per key, however units of work interleave."""

    def __init__(self, uow: "InMemoryUnitOfWork") -> None:
        self._uow = uow

    def _latest(self, caller: str, key: str) -> IdempotencyRecord | None:
        uow = self._uow
        return uow.latest(
            uow.staged_idempotency, uow.idempotency_snapshot, uow.store.idempotency, (caller, key)
        )

    async def add(self, record: IdempotencyRecord) -> bool:
        if self._latest(record.request.caller, record.request.key) is not None:
            return False
        self._uow.staged_idempotency[record.request.caller, record.request.key] = record
        return True

    async def get(self, caller: str, key: str) -> IdempotencyRecord | None:
        return self._latest(caller, key)

    async def take_over(self, record: IdempotencyRecord, from_token: str) -> bool:
        request = record.request
        current = self._latest(request.caller, request.key)
        if current is None or current.token != from_token or current.response is not None:
            return False
        self._uow.staged_idempotency[request.caller, request.key] = record
        return True

    async def complete(self, caller: str, key: str, token: str, response: StoredResponse) -> bool:
        current = self._latest(caller, key)
        if current is None or current.token != token:
            return False
        self._uow.staged_idempotency[caller, key] = replace(current, response=response)
        return True

    async def release(self, caller: str, key: str, token: str) -> None:
        current = self._latest(caller, key)
        if current is not None and current.token == token:
            self._uow.staged_idempotency.pop((caller, key), None)

    async def delete_expired(self, now: datetime) -> None:
        staged = self._uow.staged_idempotency
        for ids in [ids for ids, record in staged.items() if record.expires_at <= now]:
            del staged[ids]


def _merge(committed: dict[K, V], snapshot: dict[K, V], staged: dict[K, V]) -> dict[K, V]:
    """`committed` with what changed between `snapshot` and `staged` applied to it."""
    changed = {i: item for i, item in staged.items() if snapshot.get(i) is not item}
    removed = snapshot.keys() - staged.keys()
    return {i: item for i, item in committed.items() if i not in removed} | changed


class InMemoryUnitOfWork:
    """Works on private copies of the store; `commit` applies what changed (checking unique emails
    and refresh-token rotations again, as a database would), leaving without commit drops it."""

    users: InMemoryUserRepository
    posts: InMemoryPostRepository
    sessions: InMemorySessionStore
    audit: InMemoryAuditLog
    tokens: "InMemoryOneTimeTokenStore"
    outbox: "InMemoryOutbox"
    idempotency: InMemoryIdempotencyRecords

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self.users = InMemoryUserRepository(self)
        self.posts = InMemoryPostRepository(self)
        self.sessions = InMemorySessionStore(self)
        self.audit = InMemoryAuditLog(self)
        self.tokens = InMemoryOneTimeTokenStore(self)
        self.outbox = InMemoryOutbox(self)
        self.consumed_tokens: set[str] = set()  # reserved in the store until this unit of work ends
        self.idempotency = InMemoryIdempotencyRecords(self)

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._begin()

    async def commit(self) -> None:
        users = _merge(self.store.users, self.user_snapshot, self.staged_users)
        seen: set[Email] = set()
        for user in users.values():  # checked before anything is applied: all or nothing
            if user.email in seen:
                raise EmailAlreadyRegistered(user.email.value)
            seen.add(user.email)
        for token_hash in self.rotated:  # a conditional write another unit of work won meanwhile
            committed = self.store.refresh_tokens.get(token_hash)
            if committed is None or committed.rotated_at is not None:
                raise Conflict("The refresh token was rotated by another unit of work")
        posts = _merge(self.store.posts, self.post_snapshot, self.staged_posts)
        sessions = _merge(self.store.sessions, self._session_snapshot, self.staged_sessions)
        sessions = {i: s for i, s in sessions.items() if s.user_id in users}  # cascade
        tokens = _merge(self.store.refresh_tokens, self._token_snapshot, self.staged_tokens)
        self.store.posts = {i: p for i, p in posts.items() if p.author_id in users}  # cascade
        self.store.users = users
        one_time = _merge(self.store.tokens, self._one_time_snapshot, self.staged_one_time_tokens)
        self.store.tokens = {h: t for h, t in one_time.items() if t.user_id in users}  # cascade
        self.store.outbox = _merge(self.store.outbox, self._outbox_snapshot, self.staged_outbox)
        self.store.sessions = sessions
        self.store.refresh_tokens = {h: t for h, t in tokens.items() if t.session_id in sessions}
        for entry in self.staged_audit:
            self.store.audit.append(replace(entry, id=len(self.store.audit) + 1))
        self.store.idempotency = _merge(
            self.store.idempotency, self.idempotency_snapshot, self.staged_idempotency
        )
        self._begin()

    def _begin(self) -> None:
        self.store.consumed_tokens -= self.consumed_tokens
        self.consumed_tokens = set()
        self.user_snapshot = dict(self.store.users)
        self.post_snapshot = dict(self.store.posts)
        self._session_snapshot = dict(self.store.sessions)
        self._token_snapshot = dict(self.store.refresh_tokens)
        self.staged_users = dict(self.user_snapshot)
        self.staged_posts = dict(self.post_snapshot)
        self.staged_sessions = dict(self._session_snapshot)
        self.staged_tokens = dict(self._token_snapshot)
        self.staged_audit: list[AuditEntry] = []
        self.rotated: set[str] = set()
        self._one_time_snapshot = dict(self.store.tokens)
        self._outbox_snapshot = dict(self.store.outbox)
        self.staged_one_time_tokens = dict(self._one_time_snapshot)
        self.staged_outbox = dict(self._outbox_snapshot)
        self.idempotency_snapshot = dict(self.store.idempotency)
        self.staged_idempotency = dict(self.idempotency_snapshot)

    @staticmethod
    def latest(staged: dict[K, V], snapshot: dict[K, V], committed: dict[K, V], key: K) -> V | None:
        """The item as this unit of work changed it, or else as last committed (not as when this unit
        of work began): what a conditional write compares, as a database's writing statement would."""
        item = staged.get(key)
        return item if item is not snapshot.get(key) else committed.get(key)

    def latest_user(self, user_id: int) -> User | None:
        return self.latest(self.staged_users, self.user_snapshot, self.store.users, user_id)

    def latest_post(self, post_id: int) -> Post | None:
        return self.latest(self.staged_posts, self.post_snapshot, self.store.posts, post_id)


# --- Account recovery (issue 16): one-time tokens and the mail outbox ---------------------------------


class InMemoryOneTimeTokenStore:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, token: OneTimeToken) -> None:
        if token.user_id not in self._uow.staged_users:  # as the SQL foreign key does
            raise UserNotFound(token.user_id)
        self._uow.staged_one_time_tokens[token.token_hash] = token

    async def find(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        token = self._uow.staged_one_time_tokens.get(token_hash)
        return token if token is not None and token.purpose is purpose and token.expires_at > now else None

    async def consume(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        if token_hash in self._uow.store.consumed_tokens:
            return None  # another open unit of work has it
        token = await self.find(token_hash, purpose, now)
        if token is not None:
            del self._uow.staged_one_time_tokens[token_hash]
            self._uow.store.consumed_tokens.add(token_hash)
            self._uow.consumed_tokens.add(token_hash)
        return token

    async def delete_expired(self, now: datetime) -> int:
        tokens = self._uow.staged_one_time_tokens
        expired = [token_hash for token_hash, token in tokens.items() if token.expires_at <= now]
        for token_hash in expired:
            del tokens[token_hash]
        return len(expired)

    async def revoke(self, user_id: int, purpose: TokenPurpose) -> None:
        tokens = self._uow.staged_one_time_tokens
        for token_hash in [h for h, t in tokens.items() if t.user_id == user_id and t.purpose is purpose]:
            del tokens[token_hash]


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: int
    key: str
    mail: OutgoingMail
    status: MailStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None


class InMemoryOutbox:
    """`Outbox` and `MailQueue` in memory. `records` shows what is committed (for tests)."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def records(self) -> list[OutboxRecord]:
        return [self._uow.store.outbox[i] for i in sorted(self._uow.store.outbox)]

    async def add(self, mail: OutgoingMail, now: datetime) -> None:
        mail_id = next(self._uow.store.mail_ids)
        record = OutboxRecord(mail_id, new_mail_key(), mail, MailStatus.PENDING, 0, now, now)
        self._uow.staged_outbox[mail_id] = record

    async def add_decoy(self, now: datetime) -> None:
        return None  # nothing to time in memory

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[QueuedMail]:
        staged = self._uow.staged_outbox
        due = sorted(
            (r for r in staged.values() if r.status is MailStatus.PENDING and r.next_attempt_at <= now),
            key=lambda r: (r.next_attempt_at, r.id),
        )[:limit]
        claimed = []
        for record in due:
            staged[record.id] = replace(record, attempts=record.attempts + 1, next_attempt_at=lease_until)
            mail = record.mail
            claimed.append(
                QueuedMail(record.id, record.key, mail.to, mail.subject, mail.body, record.attempts + 1)
            )
        return sorted(claimed, key=lambda mail: mail.id)

    def _set(self, mail_id: int, **changes: object) -> None:
        record = self._uow.staged_outbox.get(mail_id)
        if record is not None:
            self._uow.staged_outbox[mail_id] = replace(record, **changes)  # type: ignore[arg-type]

    async def mark_sent(self, mail_id: int, now: datetime) -> None:
        record = self._uow.staged_outbox.get(mail_id)
        if record is not None:
            self._set(mail_id, status=MailStatus.SENT, sent_at=now, mail=replace(record.mail, body=""))

    async def retry_at(self, mail_id: int, when: datetime, error: str) -> None:
        self._set(mail_id, next_attempt_at=when, last_error=error)

    async def give_up(self, mail_id: int, error: str) -> None:
        record = self._uow.staged_outbox.get(mail_id)
        if record is not None:
            self._set(mail_id, status=MailStatus.FAILED, last_error=error, mail=replace(record.mail, body=""))

    async def prune(self, written_before: datetime) -> int:
        staged = self._uow.staged_outbox
        done = [
            i
            for i, r in staged.items()
            if r.status is not MailStatus.PENDING and r.created_at < written_before
        ]
        for mail_id in done:
            del staged[mail_id]
        return len(done)

    async def status(self, mail_id: int) -> tuple[MailStatus, int] | None:
        record = self._uow.staged_outbox.get(mail_id)
        return (record.status, record.attempts) if record is not None else None
