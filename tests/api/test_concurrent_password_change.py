"""Two password changes proving the same current password at the same moment, through the whole app on
each SQL database: the conditional write (`UPDATE … WHERE password_hash = :old`), not luck, decides —
one 200, the other a 403, and only the winner's new password opens the account."""

import asyncio
from collections import Counter

from tests.api.problems import assert_problem
from tests.api.sql_apps import sql_app
from tests.factories import UserCreatePayload
from tests.fakes import FakeHasher


class BarrierHasher(FakeHasher):
    """Holds each password change between its verification of the current password and its write
    until both got there, so that both race to the write having passed the check."""

    def __init__(self, parties: int) -> None:
        self._barrier = asyncio.Barrier(parties)
        self.holding = False

    async def hash(self, password: str) -> str:
        if self.holding:
            async with asyncio.timeout(10):  # a request that never gets here fails the test, not hangs it
                await self._barrier.wait()
        return await super().hash(password)


async def test_two_changes_proving_the_same_password_let_exactly_one_through(sql_database_url: str) -> None:
    hasher = BarrierHasher(2)
    payload = UserCreatePayload(password="old password")
    async with sql_app(sql_database_url, hasher=hasher) as app:
        client = app.client
        assert (await client.post("/users/", json=payload)).status_code == 201
        form = {"username": payload["email"], "password": "old password"}
        token = (await client.post("/auth/token", data=form)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        hasher.holding = True
        changes = [{"password": f"new password {i}", "current_password": "old password"} for i in (1, 2)]
        responses = await asyncio.gather(*(client.patch("/users/me", json=c, headers=auth) for c in changes))
        hasher.holding = False

        assert Counter(r.status_code for r in responses) == {200: 1, 403: 1}, [r.text for r in responses]
        (refused,) = [r for r in responses if r.status_code == 403]
        assert_problem(refused, 403, "The current password is incorrect")
        winner = next(c["password"] for c, r in zip(changes, responses, strict=True) if r.status_code == 200)
        for password, status in (("old password", 400), (winner, 200)):
            form["password"] = password
            assert (await client.post("/auth/token", data=form)).status_code == status
        for change in changes:
            if change["password"] != winner:
                form["password"] = change["password"]
                assert (await client.post("/auth/token", data=form)).status_code == 400
