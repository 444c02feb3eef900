"""Users: reading and storing them, and the administration writes of their role, suspension and
credentials stamp."""

from collections.abc import Collection
from typing import Protocol

from application.pagination import Page, PageRequest
from domain.roles import Role
from domain.users import Email, PublicProfile, Suspension, User


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
    """Stores users. Emails are unique: `add` and `update` raise EmailAlreadyRegistered for a taken one.

    The role, the suspension and the credentials stamp have targeted writes of their own, which write
    their columns alone: a profile update never undoes a concurrent role change or suspension, nor they
    it."""

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
        """Store the user's profile fields (all but the role and the suspension) and increment their
        version; return the new version (≥ 2, so true). With `if_password_hash` and/or `if_version_in`,
        a conditional write: only if the stored hash is still that one and the stored version one of
        those, checked in the writing statement. None when nothing was written (no such user, or a
        condition failed)."""
        ...

    async def delete(self, user_id: int, *, if_password_hash: str | None = None) -> bool:
        """Remove the user and, with them, their posts. With `if_password_hash`, a conditional write as
        in `update`. False when nothing was removed (no such user, or the hash changed)."""
        ...

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
