"""What the operator commands (`users-posts migrate`, `check`, `serve`) ask of the infrastructure:
migrations, reachability of the database and of Redis, the kind of database configured."""

import asyncio
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from infrastructure.settings import Settings
from infrastructure.sql.engine import make_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where alembic.ini and migrations/ are


def database_backend(database_url: str) -> str:
    """The kind of database a URL names, whatever its driver: "sqlite", "postgresql"…"""
    return make_url(database_url).get_backend_name()


def shown_url(url: str) -> str:
    """`url` fit for a message: the password hidden, even when the URL does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r":[^:/@]*@", ":***@", url) or "''"


def _alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config  # the database URL comes from the settings (migrations/env.py)


def upgrade_to_head() -> None:
    """Apply every pending migration to APP_DATABASE_URL; exits with one line when it cannot."""
    command.upgrade(_alembic_config(), "head")


def migration_problem() -> str | None:
    """None when the database is at head and the tables match it; else what is wrong."""
    config = _alembic_config()
    config.attributes["configure_logger"] = False  # the answer is one line, not alembic's log
    try:
        command.check(config)
    except CommandError as error:  # "Target database is not up to date." or the drift found
        return str(error)
    return None


async def ping_database(settings: Settings) -> None:
    """Connect and run a trivial query; raises when the database cannot be used."""
    database = make_database(settings)
    try:
        await asyncio.wait_for(database.ping(), timeout=settings.db_connect_timeout_seconds + 1)
    finally:
        await database.dispose()


async def ping_redis(redis_url: str, timeout_seconds: float) -> None:
    """PING the Redis server at `redis_url`; raises when it does not answer PONG."""
    from redis.asyncio import Redis  # only for the deployments that use Redis

    client = Redis.from_url(redis_url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds)
    try:
        if not await client.ping():
            raise ConnectionError("no PONG")
    finally:
        await client.aclose()
