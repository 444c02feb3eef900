"""Storage: the repositories and the units of work that hold them."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from application.pagination import Page, PageRequest
from application.ports.idempotency import IdempotencyRecords
from application.ports.recovery import OneTimeTokenStore, Outbox
from domain.posts import Post
from domain.users import Email, PublicProfile, User


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

    async def get_profile(self, user_id: int) -> PublicProfile | None:
        """The user's public profile alone, loaded without the rest of the user."""
        ...

    async def list_profiles(self, page: PageRequest) -> Page[PublicProfile]:
        """Public profiles in id order, keyset-paged like `list`."""
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
    def tokens(self) -> OneTimeTokenStore: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def idempotency(self) -> IdempotencyRecords: ...

    async def commit(self) -> None: ...
