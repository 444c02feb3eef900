from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from api.app import create_app
from infrastructure.container import Container
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from infrastructure.settings import Settings
from tests.api.sql_apps import app_client
from tests.factories import UserCreatePayload
from tests.fakes import FakeHasher, FixedClock


class AnsweringDatabase:
    """Stands in for the SQL database where storage is in memory: it always answers."""

    async def ping(self) -> None:
        return None

    async def dispose(self) -> None:
        return None

    def replica_states(self) -> list[object]:
        return []


@pytest.fixture
def container(store: MemoryStore, clock: FixedClock) -> Container:
    """The real container with in-memory storage, a fast hasher and a fixed clock."""
    container = Container()
    # The real rate limiter, with budgets no test of another rule runs out of (a list test registers
    # 51 users from one address); tests of the limits themselves set theirs.
    container.settings.override(
        providers.Object(
            Settings(limit_register_per_address="1000/minute", limit_posts_per_user="1000/minute")
        )
    )
    container.uow.override(providers.Factory(InMemoryUnitOfWork, store))
    container.read_uow.override(providers.Factory(InMemoryUnitOfWork, store))
    container.hasher.override(providers.Object(FakeHasher()))
    container.clock.override(providers.Object(clock))
    container.database.override(providers.Object(AnsweringDatabase()))
    return container


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as client:
        yield client


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    """The OpenAPI document the app serves."""
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


class Register(Protocol):
    async def __call__(self, **fields: str) -> dict[str, Any]: ...


class Login(Protocol):
    async def __call__(self, **fields: str) -> tuple[dict[str, Any], dict[str, str]]: ...


@pytest.fixture
def register(client: httpx.AsyncClient) -> Register:
    """POST /users/ with a valid payload (overridable); asserts the 201 and returns the body."""

    async def register(**fields: str) -> dict[str, Any]:
        response = await client.post("/users/", json=UserCreatePayload(**fields))
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()
        return user

    return register


@pytest.fixture
def login(client: httpx.AsyncClient, register: Register) -> Login:
    """Register a user (payload overridable), log in, and return (user, auth headers)."""

    async def login(**fields: str) -> tuple[dict[str, Any], dict[str, str]]:
        payload = UserCreatePayload(**fields)
        user = await register(**payload)
        form = {"username": payload["email"], "password": payload["password"]}
        token = await client.post("/auth/token", data=form)
        assert token.status_code == 200, token.text
        return user, {"Authorization": f"Bearer {token.json()['access_token']}"}

    return login
