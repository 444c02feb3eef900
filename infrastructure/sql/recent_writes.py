"""Who wrote what lately, for read-your-writes on the read replicas: per caller key, the primary's WAL
position a replica must have replayed before it serves that caller, until when that applies.

`RecentWrites` is this process's bounded map. With APP_REDIS_URL, `SharedRecentWrites` also keeps every
write in Redis (one key per caller key, expiring with the entry), so a caller's next request is routed
right whichever worker or instance answers it: a process that knows of no write of the caller asks
Redis (one MGET) before reading a replica. When Redis cannot be reached, each process goes by its own
map (reads of another process's callers may then be stale, for at most the replica lag allowed), logs a
warning, and tries Redis again after REDIS_RETRY_SECONDS; Redis calls time out after 0.25 s."""

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)

RECENT_WRITERS_MAX = 10_000
REDIS_TIMEOUT_SECONDS = 0.25
REDIS_RETRY_SECONDS = 5.0
UNKNOWN = "?"  # a write whose WAL position could not be read: the primary until it expires

Lsn = int
Required = tuple[bool, Lsn | None]  # (a write is pending, the position to wait for or None: unknown)


@dataclass
class RecentWrites:
    """Per caller key: the WAL position (None: unknown) a replica must have replayed before serving that
    caller, and until when it applies. Bounded: past `limit` keys, the oldest is forgotten."""

    limit: int = RECENT_WRITERS_MAX
    _entries: OrderedDict[str, tuple[Lsn | None, float]] = field(default_factory=OrderedDict)

    def record(self, keys: Sequence[str], lsn: Lsn | None, until: float) -> None:
        for key in keys:
            self._entries[key] = (lsn, until)
            self._entries.move_to_end(key)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def required(self, keys: Sequence[str], now: float) -> Required:
        """Whether a write of these keys is pending, and the highest position to wait for (None when a
        pending write's position is unknown)."""
        values = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is None:
                continue
            lsn, until = entry
            if until <= now:
                del self._entries[key]
                continue
            values.append(lsn)
        return _combined(values)


def _combined(values: Sequence[Lsn | None]) -> Required:
    if not values:
        return False, None
    if any(value is None for value in values):
        return True, None
    return True, max(value for value in values if value is not None)


class WriteLog(Protocol):
    async def record(self, keys: Sequence[str], lsn: Lsn | None, seconds: float) -> None: ...

    async def required(self, keys: Sequence[str]) -> Required: ...


class LocalRecentWrites:
    """This process's map only."""

    def __init__(self, local: RecentWrites | None = None) -> None:
        self.local = local or RecentWrites()

    async def record(self, keys: Sequence[str], lsn: Lsn | None, seconds: float) -> None:
        self.local.record(keys, lsn, time.monotonic() + seconds)

    async def required(self, keys: Sequence[str]) -> Required:
        return self.local.required(keys, time.monotonic())


class SharedRecentWrites(LocalRecentWrites):
    """This process's map, and every process's writes in Redis (see the module's docstring)."""

    def __init__(self, redis_url: str, key_prefix: str) -> None:
        super().__init__()
        from redis.asyncio import Redis  # only for the deployments that use Redis

        self._redis = Redis.from_url(
            redis_url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )
        self._prefix = f"{key_prefix}:recent-write:"
        self._down_until = 0.0

    async def record(self, keys: Sequence[str], lsn: Lsn | None, seconds: float) -> None:
        await super().record(keys, lsn, seconds)
        if not keys or time.monotonic() < self._down_until:
            return
        value = UNKNOWN if lsn is None else str(lsn)
        try:
            async with self._redis.pipeline(transaction=False) as pipeline:
                for key in keys:
                    pipeline.set(self._prefix + key, value, px=max(1, int(seconds * 1000)))
                await pipeline.execute()
        except Exception as error:  # any Redis failure: go by this process's map
            self._down(error)

    async def required(self, keys: Sequence[str]) -> Required:
        own = await super().required(keys)
        if own[0] or not keys or time.monotonic() < self._down_until:
            return own
        try:
            values = await self._redis.mget([self._prefix + key for key in keys])
        except Exception as error:
            self._down(error)
            return own
        found = [value.decode() if isinstance(value, bytes) else str(value) for value in values if value]
        return _combined([None if value == UNKNOWN else int(value) for value in found])

    def _down(self, error: BaseException) -> None:
        logger.warning(
            "recent writes: Redis cannot be reached (%s); each process goes by its own writes for %.0f s",
            type(error).__name__,
            REDIS_RETRY_SECONDS,
        )
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS

    async def close(self) -> None:
        await self._redis.aclose()
