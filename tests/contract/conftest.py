"""Every adapter of the repository, unit-of-work, mailer and event publisher ports runs the same
contract suite. With `--memory-only` (make test-unit) only the adapters that need no database, server
or file run it."""

from collections.abc import AsyncIterator

import pytest

from infrastructure.clock import SystemClock
from infrastructure.events.brokers import Broker
from infrastructure.events.memory import InMemoryBroker
from infrastructure.events.queue import EventRecording
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.outbox.signal import DeliverySignal
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.unit_of_work import SqlUnitOfWork
from tests.brokers import BROKER_KINDS, broker_of, broker_settings
from tests.contract.stored import UowFactory
from tests.databases import SQL_KINDS, migrated_database_url

# The adapters each parametrised fixture of the suite stands for, by the fixture's name.
ADAPTERS = {
    "uow_factory": ["memory", *SQL_KINDS, "pgbouncer"],  # pgbouncer: PostgreSQL through PgBouncer
    "mailer": ["memory", "console", "smtp"],
    "broker": ["memory", *BROKER_KINDS],
}
IN_PROCESS = {"memory", "console"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    memory_only = metafunc.config.getoption("memory_only")
    for fixture, adapters in ADAPTERS.items():
        if fixture in metafunc.fixturenames:
            chosen = [adapter for adapter in adapters if adapter in IN_PROCESS] if memory_only else adapters
            metafunc.parametrize(fixture, chosen, indirect=True)


@pytest.fixture
async def uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[UowFactory]:
    if request.param == "memory":
        store = MemoryStore()
        yield lambda: InMemoryUnitOfWork(store)
        return
    if request.param == "pgbouncer":
        url = request.getfixturevalue("pgbouncer_database_url")
        database = make_database(Settings(database_url=url, db_prepared_statements=False))
    else:
        database = make_database(Settings(database_url=migrated_database_url(request, request.param)))
    events = EventRecording(SystemClock(), DeliverySignal())  # as with a broker configured
    yield lambda: SqlUnitOfWork(database, events=events)
    await database.dispose()


@pytest.fixture
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    """Each broker: in memory, or a real one with an exchange (a stream) of this test's own."""
    if request.param == "memory":
        yield InMemoryBroker()
        return
    with broker_settings(request.param) as settings:
        broker = broker_of(settings)
        yield broker
        await broker.close()
