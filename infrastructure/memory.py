"""In-memory adapters of the repository and unit-of-work ports: first-class, contract-tested, and what
use-case unit tests run on. A unit of work stages changes on copies and publishes them on commit."""

import copy
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from application.pagination import Page, PageRequest
from domain.errors import EmailAlreadyRegistered
from domain.users import Email, User


@dataclass
class MemoryStore:
    """The committed state shared by every unit of work made from it."""

    users: dict[int, User] = field(default_factory=dict)
    user_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))


class InMemoryUserRepository:
    def __init__(self, users: dict[int, User], ids: Iterator[int]) -> None:
        self._users = users
        self._ids = ids

    async def add(self, user: User) -> User:
        if any(existing.email == user.email for existing in self._users.values()):
            raise EmailAlreadyRegistered(user.email.value)
        stored = user.with_id(next(self._ids))
        self._users[stored.id] = stored  # type: ignore[index]
        return copy.copy(stored)

    async def get(self, user_id: int) -> User | None:
        user = self._users.get(user_id)
        return copy.copy(user) if user else None

    async def get_by_email(self, email: Email) -> User | None:
        return next((copy.copy(u) for u in self._users.values() if u.email == email), None)

    async def list(self, page: PageRequest) -> Page[User]:
        ids = sorted(i for i in self._users if i > page.after)[: page.limit + 1]
        return Page.from_overfetch([copy.copy(self._users[i]) for i in ids], page, lambda u: u.id or 0)


class InMemoryUnitOfWork:
    """Works on a private copy of the store; `commit` applies what changed to the store (checking
    unique emails again, as a database would), leaving without commit drops it."""

    users: InMemoryUserRepository

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()

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
        users = self.store.users
        changed = {i: u for i, u in self._staged_users.items() if self._snapshot.get(i) is not u}
        removed = self._snapshot.keys() - self._staged_users.keys()
        survivors = {i: u for i, u in users.items() if i not in changed and i not in removed}
        taken = {u.email for u in survivors.values()}
        for user in changed.values():  # checked before anything is applied: all or nothing
            if user.email in taken:
                raise EmailAlreadyRegistered(user.email.value)
            taken.add(user.email)
        self.store.users = survivors | changed
        self._begin()

    def _begin(self) -> None:
        self._snapshot = dict(self.store.users)
        self._staged_users = dict(self._snapshot)
        self.users = InMemoryUserRepository(self._staged_users, self.store.user_ids)
