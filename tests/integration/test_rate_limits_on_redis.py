"""The rate limiter on Redis: one budget for every app instance; per-process limits while Redis is out
of reach."""

import logging
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from application.errors import RateLimited
from application.ports.throttling import Throttle
from infrastructure.rate_limits import LimitsRateLimiter, parse_rules
from infrastructure.tracing.setup import Tracing
from tests.api.problems import assert_problem
from tests.api.sql_apps import sql_app

REDIS_URL = os.environ.get("APP_TEST_REDIS_URL")
SKIP_REDIS = (
    "Redis tests are off: set APP_TEST_REDIS_URL=redis://127.0.0.1:6379/0 "
    "(.ci/run does when 127.0.0.1:6379 answers)"
)
needs_redis = pytest.mark.skipif(not REDIS_URL, reason=SKIP_REDIS)
RULES = {
    Throttle.FAILED_LOGIN_PER_ACCOUNT: "3/15 minutes",
    Throttle.FAILED_LOGIN_PER_ADDRESS: "50/15 minutes",
    Throttle.REGISTRATION_PER_ADDRESS: "20/hour",
    Throttle.POST_PER_USER: "60/minute",
}


@pytest.fixture
async def key_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    assert REDIS_URL
    prefix = f"users-posts-test-{uuid.uuid4().hex}"
    yield prefix
    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@needs_redis
async def test_two_app_instances_share_one_budget(sqlite_database: str, key_prefix: str) -> None:
    assert REDIS_URL
    settings: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "redis_key_prefix": key_prefix,
        "limit_login_per_account": "3/15 minutes",
    }
    async with sql_app(sqlite_database, **settings) as one, sql_app(sqlite_database, **settings) as two:
        user = {"name": "Ada", "email": "ada@example.com", "password": "correct horse"}
        assert (await one.client.post("/users/", json=user)).status_code == 201
        wrong = {"username": "ada@example.com", "password": "guess"}
        assert (await one.client.post("/auth/token", data=wrong)).status_code == 400
        assert (await two.client.post("/auth/token", data=wrong)).status_code == 400
        assert (await one.client.post("/auth/token", data=wrong)).status_code == 400
        refused = await two.client.post("/auth/token", data=wrong)  # the budget both spent
    assert_problem(refused, 429)
    assert int(refused.headers["retry-after"]) > 0
    client = aioredis.from_url(REDIS_URL)
    try:
        assert [key async for key in client.scan_iter(match=f"{key_prefix}*")]  # the state is in Redis
    finally:
        await client.aclose()


@needs_redis
async def test_two_app_instances_share_one_comment_budget(sqlite_database: str, key_prefix: str) -> None:
    assert REDIS_URL
    settings: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "redis_key_prefix": key_prefix,
        "limit_comments_per_user": "3/minute",
        "jwt_secret": "one secret for both instances, long enough to sign with",
    }
    async with sql_app(sqlite_database, **settings) as one, sql_app(sqlite_database, **settings) as two:
        user = {"name": "Ada", "email": "ada@example.com", "password": "correct horse"}
        assert (await one.client.post("/users/", json=user)).status_code == 201
        form = {"username": "ada@example.com", "password": "correct horse"}
        token = (await one.client.post("/auth/token", data=form)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        post = (await one.client.post("/posts/", json={"title": "t", "content": "c"}, headers=auth)).json()
        path = f"/posts/{post['id']}/comments"
        for client in (one.client, two.client, one.client):
            assert (await client.post(path, json={"body": "b"}, headers=auth)).status_code == 201
        refused = await two.client.post(path, json={"body": "b"}, headers=auth)  # the budget both spent
    assert_problem(refused, 429, "Too many comments; try again later")


@needs_redis
async def test_a_success_clears_the_account_in_redis(key_prefix: str) -> None:
    limiter = LimitsRateLimiter(parse_rules(RULES), REDIS_URL, key_prefix)
    for _ in range(3):
        await limiter.hit(Throttle.FAILED_LOGIN_PER_ACCOUNT, "ada@example.com")
    with pytest.raises(RateLimited):
        await limiter.check(Throttle.FAILED_LOGIN_PER_ACCOUNT, "ada@example.com")
    await limiter.clear(Throttle.FAILED_LOGIN_PER_ACCOUNT, "ada@example.com")
    await limiter.check(Throttle.FAILED_LOGIN_PER_ACCOUNT, "ada@example.com")


async def test_redis_out_of_reach_fails_open_to_per_process_limits(caplog: pytest.LogCaptureFixture) -> None:
    # Port 1 on the loopback: nothing listens, the connection is refused at once.
    limiter = LimitsRateLimiter(parse_rules(RULES), "redis://127.0.0.1:1/0", "unreachable")
    with caplog.at_level(logging.WARNING, logger="infrastructure.rate_limits"):
        for _ in range(3):
            await limiter.hit(Throttle.FAILED_LOGIN_PER_ACCOUNT, "ada@example.com")  # served, not 5xx
        with pytest.raises(RateLimited):  # and still limited, by this process's memory
            await limiter.check(Throttle.FAILED_LOGIN_PER_ACCOUNT, "ada@example.com")
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1  # once per outage window, not once per request


@needs_redis
async def test_with_tracing_the_limiters_redis_commands_are_spans_of_the_use_case(
    sqlite_database: str, key_prefix: str
) -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(SimpleSpanProcessor(exporter))
    async with sql_app(
        sqlite_database, tracing=tracing, redis_url=REDIS_URL, redis_key_prefix=key_prefix
    ) as app:
        user = {"name": "Ada", "email": "ada@example.com", "password": "correct horse"}
        assert (await app.client.post("/users/", json=user)).status_code == 201
    spans = exporter.get_finished_spans()
    [register] = [span for span in spans if span.name == "RegisterUser"]
    assert register.context is not None
    commands = [
        span
        for span in spans
        if span.attributes
        and span.attributes.get("db.system") == "redis"
        and span.parent is not None
        and span.parent.span_id == register.context.span_id
    ]
    assert commands, [span.name for span in spans]  # the registration's budget, kept in Redis
