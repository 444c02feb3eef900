import shutil
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database
from infrastructure.sql.engine import Database
from infrastructure.sql.tables import metadata
from tests.brokers import BROKER_KINDS, broker_settings
from tests.databases import SQL_KINDS, migrated_database_url
from tests.fakes import FakeHasher, FixedClock
from throwaway.databases import (
    POSTGRES_URL,
    SKIP_POSTGRES,
    migrate,
    postgres_database,
    postgres_execute,
    sqlite_url,
)
from throwaway.pgbouncer import PGBOUNCER, SKIP_PGBOUNCER, PgBouncer, pgbouncer_in_front_of
from throwaway.replicas import SERVER_BIN, SKIP_SERVER_BINARIES, Cluster, streaming_cluster


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--memory-only",
        action="store_true",
        help="run the contract suites on the in-memory adapters alone: no database, server or file",
    )


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def uow_factory(store: MemoryStore) -> Callable[[], InMemoryUnitOfWork]:
    return lambda: InMemoryUnitOfWork(store)


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate(sqlite_url(path))
    return path


@pytest.fixture
def sqlite_database(migrated_sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated SQLite file of this test's own."""
    path = tmp_path / "app.db"
    shutil.copyfile(migrated_sqlite_template, path)
    return sqlite_url(path)


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """This run's own PostgreSQL database, migrated to head and dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    with postgres_database(POSTGRES_URL) as url:
        migrate(url)
        yield url


@pytest.fixture
def postgres_database_url(migrated_postgres: str) -> str:
    """The run's PostgreSQL database, emptied for this test."""
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    postgres_execute(migrated_postgres, f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return migrated_postgres


@pytest.fixture(scope="session")
def pgbouncer(migrated_postgres: str) -> Iterator[PgBouncer]:
    """A real PgBouncer (deploy/pgbouncer.ini, transaction mode, 2 server connections) in front of the
    test server, for the whole run."""
    if PGBOUNCER is None:
        pytest.skip(SKIP_PGBOUNCER)
    with pgbouncer_in_front_of(migrated_postgres) as bouncer:
        yield bouncer


@pytest.fixture
def pgbouncer_database_url(pgbouncer: PgBouncer, postgres_database_url: str) -> str:
    """The run's PostgreSQL database, emptied for this test, through PgBouncer."""
    return pgbouncer.url(postgres_database_url)


@pytest.fixture(scope="session")
def replication() -> Iterator[Cluster]:
    """A throwaway primary and its streaming replica (pg_basebackup -R), migrated, for the whole run."""
    if SERVER_BIN is None:
        pytest.skip(SKIP_SERVER_BINARIES)
    with streaming_cluster() as cluster:
        migrate(cluster.primary_url)
        yield cluster


@pytest.fixture
def replicated(replication: Cluster) -> Cluster:
    """The replication pair with both servers running, replay on, and empty tables on both."""
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    replication.reset(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return replication


@pytest.fixture(params=SQL_KINDS)
def sql_database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated, empty database of each SQL kind."""
    return migrated_database_url(request, request.param)


@pytest.fixture
async def sql_database(sql_database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database of each SQL kind."""
    database = make_database(Settings(database_url=sql_database_url))
    yield database
    await database.dispose()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """host:port of a loopback listener that completes TCP handshakes and then never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        host, port = listener.getsockname()
        yield f"{host}:{port}"


@pytest.fixture(scope="session", params=BROKER_KINDS)
def broker_kind_settings(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The events_* settings of each real broker (RabbitMQ, NATS JetStream), with an exchange or a
    stream of this run's own."""
    with broker_settings(request.param) as settings:
        yield settings
