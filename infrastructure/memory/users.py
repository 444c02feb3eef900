"""Users in memory."""

from collections.abc import Callable, Collection
from dataclasses import replace

from application.pagination import Page, PageRequest
from domain.errors import EmailAlreadyRegistered
from domain.roles import Role
from domain.users import Email, PublicProfile, Suspension, User, UserNotFound
from infrastructure.memory.pages import page_of
from infrastructure.memory.repository import InMemoryRepository, Staged, copied
from infrastructure.memory.tables import TableSpec, Unique

USERS: TableSpec[User] = TableSpec(
    "users",
    unique=(Unique(lambda user: user.email, lambda user: EmailAlreadyRegistered(user.email.value)),),
    not_found=UserNotFound,
)


class InMemoryUserRepository(InMemoryRepository):
    _users = Staged(USERS)

    async def add(self, user: User) -> User:
        stored = replace(user, id=self._uow.store.next_id(USERS.name), version=1)
        if error := self._users.taken(stored.id, stored):
            raise error
        self._users.rows[stored.id] = stored
        return replace(stored)

    async def get(self, user_id: int) -> User | None:
        return copied(self._users.rows.get(user_id))

    async def get_by_email(self, email: Email) -> User | None:
        return next((replace(u) for u in self._users.rows.values() if u.email == email), None)

    async def list(self, page: PageRequest) -> Page[User]:
        return page_of(self._users.rows, page)

    async def get_profile(self, user_id: int) -> PublicProfile | None:
        user = self._users.rows.get(user_id)
        return user.public_profile() if user else None

    async def list_profiles(self, page: PageRequest) -> Page[PublicProfile]:
        users = page_of(self._users.rows, page)
        return Page([user.public_profile() for user in users.items], users.next_cursor)

    async def update(
        self,
        user: User,
        *,
        if_password_hash: str | None = None,
        if_version_in: Collection[int] | None = None,
    ) -> int | None:
        assert user.id is not None
        stored = self._users.latest(user.id)
        if (
            stored is None
            or (if_password_hash is not None and stored.password_hash != if_password_hash)
            or (if_version_in is not None and stored.version not in if_version_in)
        ):
            return None
        if error := self._users.taken(user.id, user):
            raise error
        # As in SQL, the role and the suspension have writes of their own.
        version = stored.version + 1
        self._users.rows[user.id] = replace(
            user, role=stored.role, suspension=stored.suspension, version=version
        )
        return version

    async def delete(self, user_id: int, *, if_password_hash: str | None = None) -> bool:
        stored = self._users.rows.get(user_id)
        if stored is None or (if_password_hash is not None and stored.password_hash != if_password_hash):
            return False
        self._uow.delete(USERS, user_id)
        return True

    async def lock(self, *user_ids: int) -> dict[int, User]:
        rows = self._users.rows
        return {i: replace(rows[i]) for i in sorted(user_ids) if i in rows}

    async def set_role(self, user_id: int, role: Role, *, if_role: Role) -> bool:
        return self._replace(user_id, lambda user: user.role is if_role, role=role, new_version=True)

    async def set_suspension(self, user_id: int, suspension: Suspension | None) -> bool:
        return self._replace(user_id, lambda _: True, suspension=suspension, new_version=True)

    async def rotate_credentials_stamp(self, user_id: int, stamp: str) -> bool:
        return self._replace(user_id, lambda _: True, credentials_stamp=stamp)

    def _replace(
        self, user_id: int, expected: Callable[[User], bool], *, new_version: bool = False, **changes: object
    ) -> bool:
        stored = self._users.rows.get(user_id)
        if stored is None or not expected(stored):
            return False
        if new_version:  # as the SQL statement does: the user's entity tag changes
            changes["version"] = stored.version + 1
        self._users.rows[user_id] = replace(stored, **changes)  # type: ignore[arg-type]
        return True
