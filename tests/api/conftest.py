from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from api.app import create_app
from infrastructure.container import Container
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from tests.factories import UserCreatePayload
from tests.fakes import FakeHasher, FixedClock


class AnsweringDatabase:
    """Stands in for the SQL database where storage is in memory: it always answers."""

    async def ping(self) -> None:
        return None

    async def dispose(self) -> None:
        return None


@pytest.fixture
def container(store: MemoryStore, clock: FixedClock) -> Container:
    """The real container with in-memory storage, a fast hasher and a fixed clock."""
    container = Container()
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
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def register(client: httpx.AsyncClient) -> Callable:
    """POST /users/ with a valid payload (overridable); asserts the 201 and returns the body."""

    async def register(**fields: str) -> dict:
        response = await client.post("/users/", json=UserCreatePayload(**fields))
        assert response.status_code == 201, response.text
        return response.json()

    return register


@pytest.fixture
def login(client: httpx.AsyncClient, register: Callable) -> Callable:
    """Register a user (payload overridable), log in, and return (user, auth headers)."""

    async def login(**fields: str) -> tuple[dict, dict[str, str]]:
        payload = UserCreatePayload(**fields)
        user = await register(**payload)
        form = {"username": payload["email"], "password": payload["password"]}
        token = await client.post("/auth/token", data=form)
        assert token.status_code == 200, token.text
        return user, {"Authorization": f"Bearer {token.json()['access_token']}"}

    return login
