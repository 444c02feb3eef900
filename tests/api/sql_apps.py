"""The real app wired as `make run` wires it (SQL adapters), with only the slow argon2 hasher swapped
for a fake, on a database URL a test chooses."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from dependency_injector import providers

from api.app import create_app
from application.ports import PasswordHasher
from infrastructure.container import Container
from infrastructure.settings import Settings
from tests.fakes import FakeHasher


@dataclass
class SqlApp:
    client: httpx.AsyncClient
    container: Container


@asynccontextmanager
async def sql_app(
    database_url: str, hasher: PasswordHasher | None = None, **settings: Any
) -> AsyncIterator[SqlApp]:
    """The app on `database_url` (other Settings fields as keywords) with its lifespan running, and a
    client of it."""
    container = Container()
    container.settings.override(providers.Object(Settings(database_url=database_url, **settings)))
    container.hasher.override(providers.Object(hasher or FakeHasher()))
    app = create_app(container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield SqlApp(client, container)
