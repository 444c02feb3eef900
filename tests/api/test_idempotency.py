"""Idempotency-Key on POST /posts/ and POST /users/ over HTTP: a retry gets the first answer and creates
nothing; another body is a 422; a retry while the first runs is a 409; malformed keys are a 400; a
failed create can be retried; keys expire after 24 h; concurrent requests with one key, through two
instances of the app on each SQL database, create exactly one row."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from api.app import create_app
from application.errors import RateLimited
from application.ports.idempotency import IdempotencyRecord, IdempotentRequest
from application.ports.throttling import Throttle
from infrastructure.container import Container
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from tests.api.problems import assert_problem
from tests.api.sql_apps import app_client, sql_app
from tests.factories import PostCreatePayload, UserCreatePayload
from tests.fakes import FakeHasher, FixedClock

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


def keyed(auth: dict[str, str] | None = None, key: str | bytes = KEY) -> dict[str, Any]:
    return {**(auth or {}), "Idempotency-Key": key}


async def test_a_retried_post_gets_the_first_answer_and_writes_one_post(
    client: httpx.AsyncClient, login: Any, store: MemoryStore
) -> None:
    _user, auth = await login()
    body = PostCreatePayload()

    first = await client.post("/posts/", json=body, headers=keyed(auth))
    retry = await client.post("/posts/", json=body, headers=keyed(auth))

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    for header in ("location", "etag", "content-type"):
        assert retry.headers[header] == first.headers[header], header
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(store.posts) == 1


async def test_a_retried_registration_gets_the_first_answer_and_registers_once(
    client: httpx.AsyncClient, store: MemoryStore
) -> None:
    body = UserCreatePayload()

    first = await client.post("/users/", json=body, headers=keyed())
    retry = await client.post("/users/", json=body, headers=keyed())

    assert (first.status_code, retry.status_code) == (201, 201)
    assert (retry.content, retry.headers["location"]) == (first.content, first.headers["location"])
    assert len(store.users) == 1


async def test_the_same_key_with_another_body_is_a_422_and_writes_nothing(
    client: httpx.AsyncClient, login: Any, store: MemoryStore
) -> None:
    _user, auth = await login()
    await client.post("/posts/", json={"title": "First", "content": "x"}, headers=keyed(auth))

    response = await client.post("/posts/", json={"title": "Second", "content": "x"}, headers=keyed(auth))

    problem = assert_problem(response, 422, "This Idempotency-Key was used for a different request")
    assert problem["errors"] == [
        {"loc": ["header", "Idempotency-Key"], "msg": problem["detail"], "type": "value_error"}
    ]
    assert "Second" not in response.text  # never echoes input
    assert [post.title for post in store.posts.values()] == ["First"]


async def test_keys_belong_to_their_caller(client: httpx.AsyncClient, login: Any, store: MemoryStore) -> None:
    _ada, ada = await login()
    _bob, bob = await login()
    body = PostCreatePayload()

    for auth in (ada, bob):
        response = await client.post("/posts/", json=body, headers=keyed(auth))
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    assert len(store.posts) == 2


@pytest.mark.parametrize(
    "key",
    [b"", b" ", b"a" * 256, b"caf\xe9", b"a\x7fb", b"tab\tinside"],
    ids=["empty", "blank", "256", "latin-1", "DEL", "tab"],
)
async def test_malformed_keys_are_a_400_and_write_nothing(
    client: httpx.AsyncClient, login: Any, store: MemoryStore, key: bytes
) -> None:
    _user, auth = await login()

    response = await client.post("/posts/", json=PostCreatePayload(), headers=keyed(auth, key))

    assert_problem(response, 400, "The Idempotency-Key header must be 1 to 255 printable characters")
    assert store.posts == {}


async def test_keys_of_255_printable_characters_and_quoted_keys_are_taken(
    client: httpx.AsyncClient, login: Any, store: MemoryStore
) -> None:
    _user, auth = await login()
    longest = "k" + "~ !" * 84 + "kk"
    assert len(longest) == 255

    assert (
        await client.post("/posts/", json=PostCreatePayload(), headers=keyed(auth, longest))
    ).status_code == 201
    body = PostCreatePayload()
    first = await client.post("/posts/", json=body, headers=keyed(auth, '"abc"'))  # a structured-field string
    same = await client.post("/posts/", json=body, headers=keyed(auth, "abc"))

    assert same.headers["idempotent-replayed"] == "true"
    assert same.content == first.content
    assert len(store.posts) == 2


class HeldLimiter:
    """A rate limiter that holds POST_PER_USER until released, so a create is seen running."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.release = asyncio.Event()

    async def check(self, throttle: Throttle, key: str) -> None:
        return None

    async def hit(self, throttle: Throttle, key: str) -> None:
        if throttle is Throttle.POST_PER_USER:
            self.reached.set()
            async with asyncio.timeout(10):
                await self.release.wait()

    async def clear(self, throttle: Throttle, key: str) -> None:
        return None


async def test_a_retry_while_the_first_runs_is_a_409(
    container: Container, login: Any, store: MemoryStore
) -> None:
    _user, auth = await login()
    limiter = HeldLimiter()
    container.rate_limiter.override(providers.Object(limiter))
    body = PostCreatePayload()
    async with app_client(create_app(container)) as client:
        first = asyncio.create_task(client.post("/posts/", json=body, headers=keyed(auth)))
        async with asyncio.timeout(10):
            await limiter.reached.wait()
        retry = await client.post("/posts/", json=body, headers=keyed(auth))
        limiter.release.set()
        done = await first

    assert_problem(retry, 409, "A request with this Idempotency-Key is still being processed; retry later")
    assert done.status_code == 201
    assert len(store.posts) == 1


class RefusingOnce(HeldLimiter):
    def __init__(self) -> None:
        self.refused = False

    async def hit(self, throttle: Throttle, key: str) -> None:
        if throttle is Throttle.POST_PER_USER and not self.refused:
            self.refused = True
            raise RateLimited("Too many posts", 30)


async def test_a_failed_create_can_be_retried_with_its_key(
    container: Container, login: Any, store: MemoryStore
) -> None:
    _user, auth = await login()
    container.rate_limiter.override(providers.Object(RefusingOnce()))
    body = PostCreatePayload()
    async with app_client(create_app(container)) as client:
        refused = await client.post("/posts/", json=body, headers=keyed(auth))
        retried = await client.post("/posts/", json=body, headers=keyed(auth))

    assert refused.status_code == 429
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert len(store.posts) == 1


async def test_keys_expire_after_24_hours_and_are_deleted_without_a_job(
    client: httpx.AsyncClient, login: Any, store: MemoryStore, clock: FixedClock
) -> None:
    user, auth = await login()
    await client.post("/posts/", json={"title": "Day one", "content": "x"}, headers=keyed(auth))
    clock.advance(hours=24, seconds=1)
    form = {"username": user["email"], "password": UserCreatePayload()["password"]}
    auth = {"Authorization": f"Bearer {(await client.post('/auth/token', data=form)).json()['access_token']}"}

    response = await client.post(
        "/posts/", json={"title": "Day two", "content": "x"}, headers=keyed(auth, "other")
    )
    again = await client.post("/posts/", json={"title": "Day two again", "content": "x"}, headers=keyed(auth))

    assert (response.status_code, again.status_code) == (201, 201)
    assert "idempotent-replayed" not in again.headers
    assert len(store.posts) == 3
    assert sorted(key for _caller, key in store.idempotency) == sorted([KEY, "other"])


async def test_a_claim_whose_request_died_is_taken_over_after_its_lease(
    client: httpx.AsyncClient, login: Any, store: MemoryStore, clock: FixedClock
) -> None:
    user, auth = await login()
    body = PostCreatePayload()
    # What a process that died between claiming the key and creating the post leaves behind. Its
    # fingerprint is the one of this body: learn it from a first request with another key.
    await client.post("/posts/", json=body, headers=keyed(auth, "probe"))
    probe = store.idempotency[f"user:{user['id']}", "probe"]
    async with InMemoryUnitOfWork(store) as uow:
        request = IdempotentRequest(f"user:{user['id']}", KEY, probe.request.fingerprint)
        dead = IdempotencyRecord(
            request, "d" * 32, clock.now() + timedelta(seconds=60), clock.now() + timedelta(hours=24)
        )
        await uow.idempotency.add(dead)
        await uow.commit()

    running = await client.post("/posts/", json=body, headers=keyed(auth))
    clock.advance(seconds=61)
    taken_over = await client.post("/posts/", json=body, headers=keyed(auth))

    assert running.status_code == 409
    assert taken_over.status_code == 201
    assert len(store.posts) == 2  # the probe's and this one


async def test_concurrent_requests_with_one_key_through_two_instances_create_one_row(
    sql_database_url: str,
) -> None:
    payload = UserCreatePayload()
    secret = "one secret for every instance, as behind a load balancer"
    async with (
        sql_app(sql_database_url, jwt_secret=secret) as one,
        sql_app(sql_database_url, jwt_secret=secret) as two,
    ):
        assert (await one.client.post("/users/", json=payload)).status_code == 201
        form = {"username": payload["email"], "password": payload["password"]}
        token = (await one.client.post("/auth/token", data=form)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        body = PostCreatePayload()

        responses = await asyncio.gather(
            *(app.client.post("/posts/", json=body, headers=keyed(auth)) for app in (one, two, one, two))
        )
        posts = (await one.client.get("/posts/")).json()

    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    answers = {r.content for r in responses if r.status_code == 201}  # the first, and its replays
    assert len(answers) == 1
    assert len(posts) == 1
    assert posts[0]["id"] == next(r.json()["id"] for r in responses if r.status_code == 201)


async def test_a_concurrent_retry_sees_a_409_or_the_first_answer_never_a_second_user(
    sql_database_url: str,
) -> None:
    payload = UserCreatePayload()
    async with sql_app(sql_database_url, hasher=FakeHasher()) as app:
        responses = await asyncio.gather(
            *(app.client.post("/users/", json=payload, headers=keyed()) for _ in range(4))
        )
        users = (await app.client.get("/users/")).json()

    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    assert len(users) == 1
