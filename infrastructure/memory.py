"""In-memory adapters of the repository and unit-of-work ports: first-class, contract-tested, and what
use-case unit tests run on. A unit of work stages changes on copies and applies them on commit."""

import copy
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

from application.idempotency import IdempotencyRecord, StoredResponse
from application.pagination import Page, PageRequest
from application.ports import AuthorSummary, PostWithAuthor
from domain.errors import EmailAlreadyRegistered, NotFound
from domain.posts import Post
from domain.users import Email, User

T = TypeVar("T", User, Post)
K = TypeVar("K")
V = TypeVar("V")


@dataclass
class MemoryStore:
    """The committed state shared by every unit of work made from it."""

    users: dict[int, User] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    user_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    post_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))


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
        self._uow.staged_users[user.id] = replace(user, version=stored.version + 1)
        return stored.version + 1

    async def delete(self, user_id: int) -> None:
        self._uow.staged_users.pop(user_id, None)
        posts = self._uow.staged_posts
        for post_id in [i for i, post in posts.items() if post.author_id == user_id]:
            del posts[post_id]


class InMemoryPostRepository:
    def __init__(self, uow: "InMemoryUnitOfWork") -> None:
        self._uow = uow

    async def add(self, post: Post) -> Post:
        if post.author_id not in self._uow.staged_users:  # as the SQL foreign key does
            raise NotFound("User", post.author_id)
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
    again, as a database would), leaving without commit drops it."""

    users: InMemoryUserRepository
    posts: InMemoryPostRepository
    idempotency: InMemoryIdempotencyRecords

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self.users = InMemoryUserRepository(self)
        self.posts = InMemoryPostRepository(self)
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
        posts = _merge(self.store.posts, self.post_snapshot, self.staged_posts)
        self.store.posts = {i: p for i, p in posts.items() if p.author_id in users}  # cascade
        self.store.users = users
        self.store.idempotency = _merge(
            self.store.idempotency, self.idempotency_snapshot, self.staged_idempotency
        )
        self._begin()

    def _begin(self) -> None:
        self.user_snapshot = dict(self.store.users)
        self.post_snapshot = dict(self.store.posts)
        self.staged_users = dict(self.user_snapshot)
        self.staged_posts = dict(self.post_snapshot)
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
