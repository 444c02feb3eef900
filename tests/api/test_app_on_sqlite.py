"""The whole app as `make run` wires it (SQL adapters, argon2) on a migrated SQLite file."""

import httpx
import pytest
from dependency_injector import providers

from api.app import create_app
from infrastructure.container import Container
from infrastructure.settings import Settings
from tests.api.problems import assert_problem


@pytest.fixture
async def sql_client(sqlite_database: str):
    container = Container()
    container.settings.override(providers.Object(Settings(database_url=sqlite_database)))
    app = create_app(container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


async def test_register_list_get_conflict_on_sqlite(sql_client: httpx.AsyncClient) -> None:
    payload = {"name": "Ada", "email": "Ada@Example.com", "password": "correct horse"}
    created = await sql_client.post("/users/", json=payload)
    assert created.status_code == 201
    user = created.json()

    assert (await sql_client.get("/users/")).json() == [user]
    assert (await sql_client.get(f"/users/{user['id']}")).json() == user
    assert_problem(await sql_client.get("/users/999"), 404, "User not found")
    assert_problem(await sql_client.post("/users/", json={**payload, "email": "ADA@example.com"}), 409)
    assert len((await sql_client.get("/users/")).json()) == 1
    assert (await sql_client.get("/health/ready")).status_code == 200
