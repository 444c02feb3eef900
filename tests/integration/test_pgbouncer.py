"""Behind a real PgBouncer in transaction mode (deploy/pgbouncer.ini, 2 server connections): with
APP_DB_PREPARED_STATEMENTS=false concurrent units of work never meet a prepared statement of another
client's connection; with it on, they do. The served app behind PgBouncer:
tests/e2e/test_served_through_pgbouncer.py."""

import asyncio

from application.pagination import PageRequest
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.engine import Database
from infrastructure.sql.unit_of_work import read_only_unit_of_work

CLIENTS = 32  # as many concurrent clients as `wrk -c32`
READS_PER_CLIENT = 25


async def _concurrent_reads(database: Database) -> list[BaseException]:
    async def client() -> None:
        for page in range(READS_PER_CLIENT):
            async with read_only_unit_of_work(database) as uow:
                await uow.users.get(page + 1)
                await uow.posts.list(PageRequest(limit=10))

    results = await asyncio.gather(*(client() for _ in range(CLIENTS)), return_exceptions=True)
    return [result for result in results if isinstance(result, BaseException)]


def _pooled(url: str, prepared: bool) -> Database:
    return make_database(
        Settings(database_url=url, db_prepared_statements=prepared, db_pool_size=8, db_max_overflow=8)
    )


async def test_concurrent_units_of_work_through_pgbouncer_without_prepared_statements(
    pgbouncer_database_url: str,
) -> None:
    database = _pooled(pgbouncer_database_url, prepared=False)
    try:
        assert await _concurrent_reads(database) == []
    finally:
        await database.dispose()


async def test_with_prepared_statements_the_same_load_fails_through_pgbouncer(
    pgbouncer_database_url: str,
) -> None:
    """What the setting is for, shown on this very PgBouncer: its server connections do swap."""
    database = _pooled(pgbouncer_database_url, prepared=True)
    try:
        failures = await _concurrent_reads(database)
    finally:
        await database.dispose()
    assert any("prepared statement" in str(failure) for failure in failures), failures
