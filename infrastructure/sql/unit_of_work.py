"""SqlUnitOfWork: one connection and transaction per use-case call, repositories sharing it.

It holds a connection rather than an ORM session: repositories run Core statements, so the session's
identity map, autoflush and ORM compilation would be pure overhead."""

from contextlib import suppress
from types import TracebackType
from typing import Self

from application.errors import StorageUnavailable
from infrastructure.sql.engine import Database, SqlConnection
from infrastructure.sql.errors import is_unavailable
from infrastructure.sql.repositories import SqlPostRepository, SqlUserRepository


class SqlUnitOfWork:
    users: SqlUserRepository
    posts: SqlPostRepository

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: SqlConnection | None = None

    async def __aenter__(self) -> Self:
        try:
            self._connection = await self._database.begin()
        except Exception as error:
            if is_unavailable(error):
                raise StorageUnavailable("the database cannot be reached") from error
            raise
        self.users = SqlUserRepository(self._connection)
        self.posts = SqlPostRepository(self._connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()  # closing rolls back whatever was not committed
        if exc is not None and is_unavailable(exc):
            raise StorageUnavailable("the database cannot be reached") from exc

    async def commit(self) -> None:
        assert self._connection is not None, "commit() outside `async with`"
        await self._connection.commit()

    async def _close(self) -> None:
        # With the database gone, closing may fail too; the original error is the one to report.
        if self._connection is not None:
            with suppress(Exception):
                await self._connection.close()
            self._connection = None
