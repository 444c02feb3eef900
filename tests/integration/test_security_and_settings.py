"""The real security adapters and the settings' production guard."""

import asyncio
import os
import re
import subprocess
import sys

import pytest
from pydantic import ValidationError

from api.app import create_app
from infrastructure.container import Container
from infrastructure.security import Argon2PasswordHasher
from infrastructure.settings import DEFAULT_JWT_SECRET, InvalidSettings, Settings, load_settings
from infrastructure.sql.engine import make_database
from tests.databases import ROOT


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


@pytest.mark.parametrize("secret", [DEFAULT_JWT_SECRET, "short-secret"])
def test_production_refuses_the_default_or_a_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="refusing to run in production"):
        Settings(env="production", jwt_secret=secret)


def test_production_accepts_a_long_secret_and_development_the_default() -> None:
    assert Settings(env="production", jwt_secret="x" * 48).env == "production"
    assert Settings(env="development").jwt_secret == DEFAULT_JWT_SECRET


def test_the_app_does_not_start_in_production_with_the_default_secret(monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("APP_JWT_SECRET", raising=False)
    app = create_app(Container())
    started = False

    async def start() -> None:
        nonlocal started
        async with app.router.lifespan_context(app):
            started = True

    with pytest.raises(InvalidSettings, match="APP_JWT_SECRET"):
        asyncio.run(start())
    assert not started


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


def test_the_app_does_not_start_on_a_url_naming_a_driver_that_would_not_run(monkeypatch) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", "sqlite+aiosqlite:///./app.db")
    app = create_app(Container())

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pytest.fail("started")

    with pytest.raises(InvalidSettings, match=re.escape("use sqlite:///./app.db")):
        asyncio.run(start())


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
