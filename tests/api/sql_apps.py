"""Clients of the app: `app_client` for any app, and `sql_app`, the real app wired as `make run` wires
it (SQL adapters), with only the slow argon2 hasher swapped for a fake, on a database URL a test chooses."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from dependency_injector import providers
from fastapi import FastAPI

from api.app import create_app
from application.ports.events import EventPublisher
from application.ports.security import PasswordHasher
from infrastructure.container import Container
from infrastructure.settings import Settings
from infrastructure.tracing.setup import Tracing
from tests.fakes import FakeHasher


@asynccontextmanager
async def app_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` over ASGI (no lifespan); an unhandled exception answers a 500, as served."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass
class SqlApp:
    client: httpx.AsyncClient
    container: Container
    app: FastAPI


@asynccontextmanager
async def sql_app(
    database_url: str,
    hasher: PasswordHasher | None = None,
    broker: EventPublisher | None = None,
    tracing: Tracing | None = None,
    **settings: Any,
) -> AsyncIterator[SqlApp]:
    """The app on `database_url` (other Settings fields as keywords) with its lifespan running, and a
    client of it; publishing events to `broker` instead of APP_EVENTS_URL's, if given; tracing with
    `tracing`, if given."""
    container = Container()
    if tracing is not None:
        settings["tracing"] = True
        container.tracing.override(providers.Object(tracing))
    container.settings.override(providers.Object(Settings(database_url=database_url, **settings)))
    container.hasher.override(providers.Object(hasher or FakeHasher()))
    if broker is not None:
        container.event_broker.override(providers.Object(broker))
    app = create_app(container)
    async with app.router.lifespan_context(app), app_client(app) as client:
        yield SqlApp(client, container, app)
