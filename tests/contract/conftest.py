"""Every adapter of the repository and unit-of-work ports runs the same contract suite."""

from collections.abc import AsyncIterator

import pytest

from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.unit_of_work import SqlUnitOfWork
from tests.contract.stored import UowFactory
from tests.databases import SQL_KINDS, migrated_database_url


@pytest.fixture(params=["memory", *SQL_KINDS, "pgbouncer"])
async def uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[UowFactory]:
    if request.param == "memory":
        store = MemoryStore()
        yield lambda: InMemoryUnitOfWork(store)
        return
    if request.param == "pgbouncer":  # PostgreSQL through a transaction-mode PgBouncer
        url = request.getfixturevalue("pgbouncer_database_url")
        database = make_database(Settings(database_url=url, db_prepared_statements=False))
    else:
        database = make_database(Settings(database_url=migrated_database_url(request, request.param)))
    yield lambda: SqlUnitOfWork(database)
    await database.dispose()
