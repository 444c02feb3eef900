"""Ports: what the use cases need from the outside world, as Protocols the adapters implement."""

from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from application.pagination import Page, PageRequest
from domain.users import Email, User


class UserRepository(Protocol):
    """Stores users. Emails are unique: `add` raises EmailAlreadyRegistered for a taken one."""

    async def add(self, user: User) -> User:
        """Store a new user and return it with its assigned id."""
        ...

    async def get(self, user_id: int) -> User | None: ...

    async def get_by_email(self, email: Email) -> User | None: ...

    async def list(self, page: PageRequest) -> Page[User]:
        """Users in id order, keyset-paged."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repositories. Leaving the context without `commit()` rolls back.

    Adapters raise application.errors.StorageUnavailable when the storage cannot be reached."""

    @property
    def users(self) -> UserRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class PasswordHasher(Protocol):
    """Hashes and verifies passwords; adapters keep slow hashing off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str) -> bool: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...
