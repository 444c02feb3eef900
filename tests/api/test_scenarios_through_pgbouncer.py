"""The HTTP scenarios of test_users, test_posts and test_auth_and_me, on PostgreSQL through a real PgBouncer
in transaction mode (2 server connections), with APP_DB_PREPARED_STATEMENTS=false. Scenarios that look at
the in-memory store rather than at HTTP answers stay with the in-memory app."""

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from dependency_injector import providers

from infrastructure.container import Container
from infrastructure.settings import Settings
from tests.api import test_auth_and_me, test_posts, test_users
from tests.fakes import FakeHasher, FixedClock


def _http_scenarios() -> dict[str, Callable[..., Any]]:
    scenarios = {}
    for module in (test_users, test_posts, test_auth_and_me):
        for name, test in vars(module).items():
            if name.startswith("test_") and "store" not in inspect.signature(test).parameters:
                scenarios[name] = test
    return scenarios


globals().update(_http_scenarios())


@pytest.fixture
async def container(pgbouncer_database_url: str, clock: FixedClock) -> AsyncIterator[Container]:
    """The real container on PostgreSQL through PgBouncer, with a fast hasher and a fixed clock."""
    container = Container()
    settings = Settings(
        database_url=pgbouncer_database_url,
        db_prepared_statements=False,
        limit_register_per_address="1000/minute",
        limit_posts_per_user="1000/minute",
    )
    container.settings.override(providers.Object(settings))
    container.hasher.override(providers.Object(FakeHasher()))
    container.clock.override(providers.Object(clock))
    yield container
    await container.database().dispose()


def test_the_scenarios_are_collected() -> None:
    assert len(_http_scenarios()) >= 25  # a rename in the scenario modules must not empty this suite
