"""Ports: what the use cases need from the outside world, as Protocols the adapters implement."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import TracebackType
from typing import Protocol, Self

from application.idempotency import IdempotencyRecord, StoredResponse
from application.pagination import Page, PageRequest
from domain.posts import Post
from domain.users import Email, User


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

    async def delete(self, user_id: int) -> None:
        """Remove the user and, with them, their posts."""
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
    backed by a constraint (the unique email) or a conditional write (`update(if_password_hash=…)`).
    Adapters raise application.errors.StorageUnavailable when the storage cannot be reached."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def posts(self) -> PostRepository: ...

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
    """Who a token names, and the credentials stamp of that user when it was issued."""

    user_id: int
    stamp: str


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
