"""Many clients registering one email at the same moment, through the whole app on each SQL database:
the unique index, not luck, decides — one 201, every other request a 409 problem, one row."""

import asyncio
from collections import Counter

from tests.api.problems import assert_problem
from tests.api.sql_apps import sql_app
from tests.factories import UserCreatePayload, public_view
from tests.fakes import FakeHasher

CLIENTS = 20


class BarrierHasher(FakeHasher):
    """Holds every registration between its "is the email free?" check and its insert until all of
    them got there, so all of them race to the insert instead of most being refused by the check."""

    def __init__(self, parties: int) -> None:
        self._barrier = asyncio.Barrier(parties)

    async def hash(self, password: str) -> str:
        async with asyncio.timeout(10):  # a request that never gets here fails the test, not hangs it
            await self._barrier.wait()
        return await super().hash(password)


async def test_concurrent_registrations_of_one_email_make_one_user(sql_database_url: str) -> None:
    payloads = [UserCreatePayload(email=f"{'ADA' if i % 2 else 'ada'}@example.com") for i in range(CLIENTS)]

    async with sql_app(sql_database_url, hasher=BarrierHasher(CLIENTS)) as app:
        client = app.client
        responses = await asyncio.gather(*(client.post("/users/", json=p) for p in payloads))
        listed = await client.get("/users/")

    assert Counter(r.status_code for r in responses) == {201: 1, 409: CLIENTS - 1}, [
        (r.status_code, r.text) for r in responses if r.status_code not in (201, 409)
    ]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "A user with this email is already registered")
    (created,) = [r.json() for r in responses if r.status_code == 201]
    assert listed.json() == [public_view(created)]
