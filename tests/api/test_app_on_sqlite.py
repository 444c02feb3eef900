"""The whole app as `make run` wires it (SQL adapters, argon2) on a migrated SQLite file."""

from infrastructure.security.passwords import Argon2PasswordHasher
from tests.api.problems import assert_problem
from tests.api.sql_apps import sql_app
from tests.factories import public_view


async def test_register_list_get_conflict_on_sqlite(sqlite_database: str) -> None:
    payload = {"name": "Ada", "email": "Ada@Example.com", "password": "correct horse"}
    async with sql_app(sqlite_database, hasher=Argon2PasswordHasher()) as app:
        client = app.client
        created = await client.post("/users/", json=payload)
        assert created.status_code == 201
        user = created.json()

        assert (await client.get("/users/")).json() == [public_view(user)]
        assert (await client.get(f"/users/{user['id']}")).json() == public_view(user)
        assert_problem(await client.get("/users/999"), 404, "User not found")
        assert_problem(await client.post("/users/", json={**payload, "email": "ADA@example.com"}), 409)
        assert len((await client.get("/users/")).json()) == 1
        assert (await client.get("/health/ready")).status_code == 200
        token = await client.post(
            "/auth/token", data={"username": "ada@example.com", "password": "correct horse"}
        )
        assert token.status_code == 200
