"""The real security adapters and the settings' production guard."""

import asyncio
import os
import re
import subprocess
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError

from api.app import create_app
from application.errors import Overloaded
from infrastructure.container import Container
from infrastructure.operations.seeding import demo_password_hashes
from infrastructure.security.passwords import (
    ARGON2_MEMORY_COST_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME_COST,
    HASHING_THREAD_NICENESS,
    Argon2PasswordHasher,
)
from infrastructure.settings import InvalidSettings, Settings, load_settings
from infrastructure.sql.databases import make_database
from throwaway.processes import ROOT


async def test_argon2_hashes_verify_and_never_contain_the_password() -> None:
    hasher = Argon2PasswordHasher()
    password_hash = await hasher.hash("correct horse")

    assert password_hash.startswith("$argon2")
    assert "correct horse" not in password_hash
    assert await hasher.verify("correct horse", password_hash)
    assert not await hasher.verify("wrong horse", password_hash)
    assert not await hasher.verify("correct horse", None)
    assert not await hasher.verify("correct horse", "not a hash at all")


async def test_argon2_runs_off_the_event_loop() -> None:
    hasher = Argon2PasswordHasher()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await hasher.hash("correct horse")
    task.cancel()
    # Had the hash blocked the loop, the ticker could not have run while it was computed.
    assert ticks > 10


STRONG_SECRET = "k3Y-9vQ_xZ7wP2mL5nR8tB4cF6hJ1dS0gAeU"


async def test_argon2_uses_the_documented_parameters_and_verifies_older_hashes() -> None:
    hasher = Argon2PasswordHasher()
    password_hash = await hasher.hash("correct horse")
    params = f"m={ARGON2_MEMORY_COST_KIB},t={ARGON2_TIME_COST},p={ARGON2_PARALLELISM}"
    assert password_hash.startswith(f"$argon2id$v=19${params}$")
    # Made with pwdlib's former defaults (m=65536, t=3, p=4), as stored before the parameters were set.
    older = (
        "$argon2id$v=19$m=65536,t=3,p=4$baCDIlRDdGO7ycndDY+vag$hXpjths33WQAwapBG0sgC7lmANxTRhzTzGnBQvAoi3Y"
    )
    assert await hasher.verify("correct horse", older)


async def test_hashing_beyond_the_queue_is_refused_before_any_work() -> None:
    hasher = Argon2PasswordHasher(concurrency=1, queue=1)
    results = await asyncio.gather(*(hasher.hash("correct horse") for _ in range(3)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, Overloaded)]
    assert len(refused) == 1
    assert refused[0].retry_after >= 1
    assert sum(isinstance(r, str) for r in results) == 2
    assert hasher.in_flight == 0
    assert isinstance(await hasher.hash("correct horse"), str)  # the queue drained: accepted again


async def test_at_most_concurrency_hashes_run_at_once(monkeypatch) -> None:
    hasher = Argon2PasswordHasher(concurrency=2, queue=10)
    running = peak = 0
    real_hash = hasher._hash.hash

    def counting_hash(password: str) -> str:
        nonlocal running, peak
        running += 1  # a thread-safe enough tally: the GIL serialises the increments
        peak = max(peak, running)
        try:
            return real_hash(password)
        finally:
            running -= 1

    monkeypatch.setattr(hasher._hash, "hash", counting_hash)
    await asyncio.gather(*(hasher.hash("correct horse") for _ in range(6)))
    assert peak == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")
async def test_hashing_threads_run_at_the_lowest_priority() -> None:
    hasher = Argon2PasswordHasher(concurrency=1)

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert await hasher._run(niceness) == HASHING_THREAD_NICENESS
    assert niceness() != HASHING_THREAD_NICENESS  # the event loop's thread keeps its priority


@pytest.mark.parametrize("secret", ["", "short-secret", "a" * 40, "abab" * 10])
def test_production_refuses_a_missing_short_or_repetitive_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="refusing to run in production"):
        Settings(env="production", jwt_secret=secret, allowed_hosts="api.example.com")


def test_production_refuses_to_answer_any_host() -> None:
    with pytest.raises(ValidationError, match="APP_ALLOWED_HOSTS"):
        Settings(env="production", jwt_secret=STRONG_SECRET)


def test_production_accepts_a_strong_secret_and_development_makes_a_random_one() -> None:
    settings = Settings(
        env="production", jwt_secret=STRONG_SECRET, allowed_hosts="a.example, b.example", mail_backend="off"
    )
    assert settings.allowed_host_list == ["a.example", "b.example"]
    first, second = Settings(env="development"), Settings(env="development")
    assert len(first.jwt_secret) >= 32
    assert first.jwt_secret != second.jwt_secret


def test_production_refuses_session_cookies_without_secure_and_development_allows_them() -> None:
    production: dict[str, Any] = {
        "env": "production",
        "jwt_secret": STRONG_SECRET,
        "allowed_hosts": "api.example.com",
        "mail_backend": "off",
    }
    assert Settings(**production).cookie_secure
    with pytest.raises(ValidationError, match="APP_COOKIE_SECURE"):
        Settings(**production, cookie_secure=False)
    assert not Settings(env="development", cookie_secure=False).cookie_secure


def test_rate_limits_are_settings_in_the_limits_notation() -> None:
    settings = Settings()
    assert (settings.limit_login_per_account, settings.limit_login_per_address) == (
        "10/15 minutes",
        "50/15 minutes",
    )
    assert (settings.limit_register_per_address, settings.limit_posts_per_user) == ("20/hour", "60/minute")
    with pytest.raises(ValidationError, match="is not a rate limit"):
        Settings(limit_posts_per_user="often")


def test_the_app_is_not_built_in_production_with_the_default_secret(monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("APP_JWT_SECRET", raising=False)
    with pytest.raises(InvalidSettings, match="APP_JWT_SECRET"):
        create_app(Container())


def test_the_app_does_not_start_on_a_malformed_database_url(monkeypatch) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", "nonsense")
    app = create_app(Container())

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pytest.fail("started")

    with pytest.raises(Exception, match="Could not parse SQLAlchemy URL"):
        asyncio.run(start())


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("APP_DB_POOL_SIZE", "0", "APP_DB_POOL_SIZE: Input should be greater than or equal to 1"),
        ("APP_ENV", "staging", "APP_ENV: Input should be 'development', 'test' or 'production'"),
        ("APP_ACCESS_TOKEN_MINUTES", "soon", "APP_ACCESS_TOKEN_MINUTES: Input should be a valid integer"),
        ("APP_DB_POOL_TIMEOUT_SECONDS", "0", "APP_DB_POOL_TIMEOUT_SECONDS: Input should be greater than 0"),
        (
            "APP_DATABASE_URL",
            "sqlite+aiosqlite:///./data/app.db",
            "APP_DATABASE_URL: sqlite+aiosqlite:// does not run here (SQLite runs on the standard sqlite3 "
            "driver, inline): use sqlite:///./data/app.db",
        ),
        (
            "APP_DATABASE_URL",
            "postgresql+psycopg://app:secret@db/app",
            "APP_DATABASE_URL: postgresql+psycopg:// does not run here: use postgresql+asyncpg://",
        ),
        ("APP_EVENTS_URL", "kafka://127.0.0.1:9092", "APP_EVENTS_URL: must name a broker: amqp://"),
        ("APP_EVENTS_STREAM", "users posts", "APP_EVENTS_STREAM: String should match pattern"),
        ("APP_EVENTS_SUBJECT_PREFIX", "staging", "APP_EVENTS_SUBJECT_PREFIX: String should match pattern"),
    ],
)
def test_invalid_settings_are_reported_in_one_line(monkeypatch, variable: str, value: str, says: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidSettings) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("invalid settings: ")
    assert says in message
    assert "\n" not in message


def test_the_app_is_not_built_on_a_url_naming_a_driver_that_would_not_run(monkeypatch) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", "sqlite+aiosqlite:///./app.db")
    with pytest.raises(InvalidSettings, match=re.escape("use sqlite:///./app.db")):
        create_app(Container())


async def test_the_default_url_runs_the_inline_sqlite3_driver(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("APP_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite:///./app.db"
    database = make_database(settings)
    try:
        assert database.sync_engine.dialect.driver == "pysqlite"
        assert not database.sync_engine.dialect.is_async
    finally:
        await database.dispose()


def test_importing_the_app_opens_nothing_and_creates_no_file(tmp_path) -> None:
    code = "import api.app, os; print(sorted(os.listdir('.')))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == "[]"
    assert list(tmp_path.iterdir()) == []


def test_the_served_app_reports_a_failed_startup_through_every_middleware(monkeypatch) -> None:
    """What uvicorn sees: the lifespan protocol through the whole middleware stack must answer
    'startup.failed' (a middleware raising instead makes uvicorn take lifespan as unsupported and serve)."""
    monkeypatch.setenv("APP_DATABASE_URL", "nonsense")  # valid settings; the engine cannot be made of it
    app = create_app(Container())
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        with pytest.raises(ArgumentError):
            await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

    asyncio.run(run())
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]


async def test_seeded_users_get_the_argon2_parameters_of_the_service() -> None:
    def parameters(encoded: str) -> str:  # $argon2id$v=19$m=…,t=…,p=…$salt$hash
        return encoded.split("$")[3]

    service_hash = await Argon2PasswordHasher(1).hash("a password")
    (seeded_hash,) = demo_password_hashes(1)

    expected = f"m={ARGON2_MEMORY_COST_KIB},t={ARGON2_TIME_COST},p={ARGON2_PARALLELISM}"
    assert parameters(seeded_hash) == parameters(service_hash) == expected


def test_production_refuses_to_run_without_a_mail_server_unless_mail_is_off() -> None:
    production: dict[str, Any] = {
        "env": "production",
        "jwt_secret": STRONG_SECRET,
        "allowed_hosts": "api.example.com",
    }
    with pytest.raises(ValidationError, match="without a mail server"):
        Settings(**production)  # the console mailer would write reset links into the logs
    with pytest.raises(ValidationError, match="without a mail server"):
        Settings(**production, mail_backend="console")
    with pytest.raises(ValidationError, match="https base"):
        Settings(**production, smtp_host="smtp.example.com")
    with pytest.raises(ValidationError, match="APP_SMTP_HOST"):
        Settings(mail_backend="smtp")
    assert Settings(**production, mail_backend="off").mail_delivery == "off"
    smtp = Settings(**production, smtp_host="smtp.example.com", frontend_url="https://app.example.com/")
    assert (smtp.mail_delivery, smtp.link_base) == ("smtp", "https://app.example.com")
    assert Settings().mail_delivery == "console"  # development: the mail is a log event


def test_events_are_off_unless_a_broker_is_named() -> None:
    assert Settings().events_url is None
    assert Settings(events_url="").events_url is None
    for url in ("amqp://guest:guest@127.0.0.1:5672/", "AMQPS://mq.example:5671/", "nats://127.0.0.1:4222"):
        assert Settings(events_url=url).events_url == url
