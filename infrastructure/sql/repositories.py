"""SQL repositories over the unit of work's connection. They run Core statements selecting only the
columns they map: no ORM object is hydrated, tracked or lazily loaded."""

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from application.pagination import Page, PageRequest
from domain.errors import EmailAlreadyRegistered
from domain.users import Email, User
from infrastructure.sql.errors import violates_unique
from infrastructure.sql.mapping import USER_COLUMNS, to_user, user_values
from infrastructure.sql.tables import user_table


class SqlUserRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, user: User) -> User:
        statement = insert(user_table).values(**user_values(user)).returning(user_table.c.id)
        try:
            user_id = (await self._connection.execute(statement)).scalar_one()
        except IntegrityError as error:
            if violates_unique(error, "user", "email", "uq_user_email"):
                raise EmailAlreadyRegistered(user.email.value) from error
            raise
        return user.with_id(user_id)

    async def get(self, user_id: int) -> User | None:
        row = (
            await self._connection.execute(select(*USER_COLUMNS).where(user_table.c.id == user_id))
        ).first()
        return to_user(row) if row else None

    async def get_by_email(self, email: Email) -> User | None:
        statement = select(*USER_COLUMNS).where(user_table.c.email == email.value)
        row = (await self._connection.execute(statement)).first()
        return to_user(row) if row else None

    async def list(self, page: PageRequest) -> Page[User]:
        statement = (
            select(*USER_COLUMNS)
            .where(user_table.c.id > page.after)
            .order_by(user_table.c.id)
            .limit(page.limit + 1)
        )
        rows = (await self._connection.execute(statement)).all()
        return Page.from_overfetch([to_user(row) for row in rows], page, _user_id)


def _user_id(user: User) -> int:
    assert user.id is not None
    return user.id
