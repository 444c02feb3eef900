"""Races through the whole app on each SQL database: two refreshes of one refresh token at once
(exactly one succeeds, and the session survives), and two admins changing one user's role at once
(both answers agree with the stored role). On PostgreSQL a barrier makes both requests read before
either writes, so the conditional writes, not luck, decide; SQLite's units of work take turns."""

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from dependency_injector import providers

from infrastructure.sql.engine import Database
from infrastructure.sql.unit_of_work import SqlUnitOfWork
from tests.api.sql_apps import SqlApp, sql_app
from tests.factories import UserCreatePayload

PASSWORD = "correct horse battery"


class Rendezvous:
    """When armed, holds each unit of work at one step until `parties` of them got there."""

    def __init__(self, parties: int) -> None:
        self._barrier = asyncio.Barrier(parties)
        self.armed = False

    async def meet(self) -> None:
        if self.armed:
            async with asyncio.timeout(10):  # a request that never gets here fails the test, not hangs it
                await self._barrier.wait()


def racing_units_of_work(database: Database, rendezvous: Rendezvous) -> Callable[[], SqlUnitOfWork]:
    """Units of work whose session lookups and user locks first meet at the rendezvous: both racers
    have read what they will judge on before either writes."""

    class Racing(SqlUnitOfWork):
        async def __aenter__(self) -> "Racing":
            await super().__aenter__()
            find_token, lock = self.sessions.find_token, self.users.lock

            async def find_then_meet(token_hash: str) -> Any:
                found = await find_token(token_hash)
                await rendezvous.meet()
                return found

            async def meet_then_lock(*user_ids: int) -> Any:
                await rendezvous.meet()
                return await lock(*user_ids)

            self.sessions.find_token = find_then_meet  # type: ignore[method-assign]
            self.users.lock = meet_then_lock  # type: ignore[method-assign]
            return self

    return lambda: Racing(database)


async def sign_up_and_in(app: SqlApp, email: str) -> dict[str, Any]:
    assert (
        await app.client.post("/users/", json=UserCreatePayload(email=email, password=PASSWORD))
    ).status_code == 201
    response = await app.client.post("/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return grant


def bearer(grant: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {grant['access_token']}"}


async def test_two_refreshes_of_one_token_let_exactly_one_through_and_the_session_survives(
    sql_database_url: str,
) -> None:
    async with sql_app(sql_database_url) as app:
        rendezvous = Rendezvous(2)
        if sql_database_url.startswith("postgresql"):
            database = app.container.database()
            app.container.uow.override(providers.Factory(racing_units_of_work(database, rendezvous)))
        grant = await sign_up_and_in(app, "ada@example.com")
        form = {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]}

        rendezvous.armed = sql_database_url.startswith("postgresql")
        responses = await asyncio.gather(*(app.client.post("/auth/token", data=form) for _ in range(2)))
        rendezvous.armed = False

        assert Counter(r.status_code for r in responses) == {200: 1, 400: 1}, [r.text for r in responses]
        (refused,) = [r for r in responses if r.status_code == 400]
        assert refused.json()["error"] == "invalid_grant"
        (winner,) = [r.json() for r in responses if r.status_code == 200]
        again = await app.client.post(
            "/auth/token", data={"grant_type": "refresh_token", "refresh_token": winner["refresh_token"]}
        )
        assert again.status_code == 200, again.text  # the session survived the race
        assert (await app.client.get("/users/me", headers=bearer(again.json()))).status_code == 200


async def test_two_admins_changing_one_role_at_once_both_answer_what_is_stored(
    postgres_database_url: str,
) -> None:
    async with sql_app(postgres_database_url) as app:
        rendezvous = Rendezvous(2)
        app.container.uow.override(
            providers.Factory(racing_units_of_work(app.container.database(), rendezvous))
        )
        admins = [await sign_up_and_in(app, f"admin{i}@example.com") for i in (1, 2)]
        await sign_up_and_in(app, "ada@example.com")
        for i in (1, 2):  # roles are read on every request: their tokens now act as admins
            await app.container.moderation.GrantRole()(f"admin{i}@example.com", "admin")
        target = (await app.client.get("/admin/users", headers=bearer(admins[0]))).json()[-1]
        assert target["email"] == "ada@example.com"

        rendezvous.armed = True
        responses = await asyncio.gather(
            *(
                app.client.patch(f"/admin/users/{target['id']}", json={"role": role}, headers=bearer(admin))
                for admin, role in zip(admins, ("moderator", "admin"), strict=True)
            )
        )
        rendezvous.armed = False

        assert Counter(r.status_code for r in responses) == {200: 1, 409: 1}, [r.text for r in responses]
        (answered,) = [r.json()["role"] for r in responses if r.status_code == 200]
        stored = (await app.client.get("/admin/users", headers=bearer(admins[0]))).json()[-1]
        assert stored["role"] == answered
        audit = (await app.client.get("/admin/audit", headers=bearer(admins[0]))).json()
        assert [e["reason"] for e in audit if e["actor_id"] is not None] == [f"member -> {answered}"]


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(postgres_database_url: str) -> None:
    async with sql_app(postgres_database_url) as app:
        rendezvous = Rendezvous(2)
        app.container.uow.override(
            providers.Factory(racing_units_of_work(app.container.database(), rendezvous))
        )
        admins = [await sign_up_and_in(app, f"admin{i}@example.com") for i in (1, 2)]
        for i in (1, 2):
            await app.container.moderation.GrantRole()(f"admin{i}@example.com", "admin")
        ids = [(await app.client.get("/users/me", headers=bearer(admin))).json()["id"] for admin in admins]

        rendezvous.armed = True
        responses = await asyncio.gather(
            app.client.patch(f"/admin/users/{ids[1]}", json={"role": "member"}, headers=bearer(admins[0])),
            app.client.patch(f"/admin/users/{ids[0]}", json={"role": "member"}, headers=bearer(admins[1])),
        )
        rendezvous.armed = False

        assert Counter(r.status_code for r in responses) == {200: 1, 403: 1}, [r.text for r in responses]
        (winner,) = [admin for admin, r in zip(admins, responses, strict=True) if r.status_code == 200]
        listed = (await app.client.get("/admin/users", headers=bearer(winner))).json()
        assert [u["role"] for u in listed if u["email"].startswith("admin")].count("admin") == 1
