"""A password change and an account deletion proving the same current password at the same moment,
through the whole app on each SQL database: the conditional writes (`UPDATE`/`DELETE … WHERE
password_hash = :old`), not luck, decide — exactly one of them wins, and the account is what it says."""

import asyncio

import httpx

from tests.api.sql_apps import sql_app
from tests.factories import UserCreatePayload
from tests.fakes import FakeHasher


class BarrierHasher(FakeHasher):
    """Holds each request after it verified the current password until both got there, so that both
    race to their write having passed the check."""

    def __init__(self, parties: int) -> None:
        self._barrier = asyncio.Barrier(parties)
        self.holding = False

    async def verify(self, password: str, password_hash: str | None) -> bool:
        verified = await super().verify(password, password_hash)
        if self.holding:
            async with asyncio.timeout(10):  # a request that never gets here fails the test, not hangs it
                await self._barrier.wait()
        return verified


async def test_a_password_change_and_a_deletion_proving_the_same_password_let_exactly_one_through(
    sql_database_url: str,
) -> None:
    hasher = BarrierHasher(2)
    async with sql_app(sql_database_url, hasher=hasher) as app:
        client = app.client
        registered = await client.post("/users/", json=UserCreatePayload(password="old password"))
        email = registered.json()["email"]

        async def login(password: str) -> httpx.Response:
            return await client.post("/auth/token", data={"username": email, "password": password})

        auth = {"Authorization": f"Bearer {(await login('old password')).json()['access_token']}"}
        hasher.holding = True
        change, deletion = await asyncio.gather(
            client.patch(
                "/users/me",
                json={"password": "new password", "current_password": "old password"},
                headers=auth,
            ),
            client.request("DELETE", "/users/me", json={"current_password": "old password"}, headers=auth),
        )
        hasher.holding = False

        # The change won: the deletion finds another password (403). The deletion won: the change finds no
        # account (404), or, blocked on the row until the deletion committed, writes nothing (403).
        statuses = (change.status_code, deletion.status_code)
        assert statuses in ((200, 403), (404, 204), (403, 204)), (change.text, deletion.text)
        deleted = deletion.status_code == 204
        assert (await login("old password")).status_code == 400
        assert (await login("new password")).status_code == (400 if deleted else 200)
