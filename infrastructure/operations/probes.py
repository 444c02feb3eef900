"""Reachability of the database and of Redis, for `users-posts check`."""

import asyncio

from infrastructure.settings import Settings
from infrastructure.sql.databases import make_database


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
