"""The session of a read-only unit of work on PostgreSQL: a read that meets a connection the server
dropped is run again, once, on a fresh one.

This replaces the pool's pre-ping, a round trip before every unit of work (its cost is in
docs/performance.md), by a retry paid only when a connection was dropped (a database restart or fail-over, an
idle connection killed): then the first statement fails, SQLAlchemy invalidates the connection and
every one pooled before it, and the statement runs again on a new connection. A read-only unit of
work runs outside any transaction (each statement sees what is committed when it runs), so re-running
the failed statement is re-running the unit of work from where it stopped: nothing was read under a
snapshot the retry could break. Writing units of work are never retried (their transaction is gone
with the connection; cut during COMMIT, a write may have landed): they fail with StorageUnavailable,
a 503 with Retry-After, and the next one gets a fresh connection."""

from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession


class ReadOnlySession(AsyncSession):
    """An AsyncSession on the autocommit engine that retries one statement per unit of work, the first
    to fail on a dropped connection."""

    _retried = False

    async def exec(self, statement: Any, **options: Any) -> Any:
        try:
            return await super().exec(statement, **options)
        except DBAPIError as error:
            if self._retried or not error.connection_invalidated:
                raise
            self._retried = True
        await self.rollback()  # lets go of the dead connection; the next statement checks out another
        return await super().exec(statement, **options)
