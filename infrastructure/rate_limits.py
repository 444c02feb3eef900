"""The rate-limit adapter, on the `limits` library: moving windows kept in Redis when a URL is given
(one budget for every worker and instance), in process memory otherwise.

When Redis cannot be reached the limiter fails open to per-process limits: each process keeps limiting
with its own memory (so a flood is still throttled, only the budgets are no longer shared), logs a
warning, and tries Redis again after REDIS_RETRY_SECONDS. Login stays available during a Redis outage,
and no request waits longer than the short socket timeouts below."""

import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar, cast

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis

from application.errors import RateLimited
from application.ports.throttling import Throttle

logger = logging.getLogger(__name__)

T = TypeVar("T")

REDIS_TIMEOUT_SECONDS = 0.25
REDIS_RETRY_SECONDS = 5.0

_REFUSALS = {
    Throttle.FAILED_LOGIN_PER_ACCOUNT: "Too many failed logins for this account; try again later",
    Throttle.FAILED_LOGIN_PER_ADDRESS: "Too many failed logins from this address; try again later",
    Throttle.REGISTRATION_PER_ADDRESS: "Too many registrations from this address; try again later",
    Throttle.POST_PER_USER: "Too many posts; try again later",
    Throttle.COMMENT_PER_USER: "Too many comments; try again later",
    Throttle.PASSWORD_RESET_PER_ACCOUNT: "Too many password resets asked for this account; try again later",
    Throttle.PASSWORD_RESET_PER_ADDRESS: "Too many password resets asked from this address; try again later",
    Throttle.TOKEN_CONFIRM_PER_ADDRESS: "Too many links tried from this address; try again later",
    Throttle.VERIFICATION_EMAIL_PER_USER: "Too many verification emails asked for; try again later",
}


def parse_rules(rules: Mapping[Throttle, str]) -> dict[Throttle, RateLimitItem]:
    """Each throttle's limit from the `limits` string notation ("10/15 minutes")."""
    return {throttle: parse(rule) for throttle, rule in rules.items()}


def redis_clients(limiter: object) -> list[Redis]:
    """The Redis clients of `limiter` (a LimitsRateLimiter keeping its limits in Redis), else none."""
    return limiter.redis_clients() if isinstance(limiter, LimitsRateLimiter) else []


class LimitsRateLimiter:
    def __init__(
        self, rules: Mapping[Throttle, RateLimitItem], redis_url: str | None = None, key_prefix: str = ""
    ) -> None:
        self._rules = dict(rules)
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis: MovingWindowRateLimiter | None = None
        if redis_url:
            storage = RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                key_prefix=key_prefix,
                wrap_exceptions=True,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._redis = MovingWindowRateLimiter(storage)
        self._redis_down_until = 0.0

    def redis_clients(self) -> list[Redis]:
        """The Redis client the limits are kept through (for tracing's instrumentation), if any."""
        if self._redis is None:
            return []
        bridge = cast(
            RedispyBridge, cast(RedisStorage, self._redis.storage).bridge
        )  # implementation="redispy"
        return [bridge.storage]

    async def check(self, throttle: Throttle, key: str) -> None:
        item = self._rules[throttle]
        if not await self._run(lambda limiter: limiter.test(item, throttle.value, key)):
            await self._refuse(throttle, key)

    async def hit(self, throttle: Throttle, key: str) -> None:
        item = self._rules[throttle]
        if not await self._run(lambda limiter: limiter.hit(item, throttle.value, key)):
            await self._refuse(throttle, key)

    async def clear(self, throttle: Throttle, key: str) -> None:
        item = self._rules[throttle]
        await self._run(lambda limiter: limiter.clear(item, throttle.value, key))

    async def _refuse(self, throttle: Throttle, key: str) -> None:
        item = self._rules[throttle]
        stats = await self._run(lambda limiter: limiter.get_window_stats(item, throttle.value, key))
        window = item.get_expiry()
        retry_after = min(math.ceil(stats.reset_time - time.time()), window)
        raise RateLimited(_REFUSALS[throttle], retry_after if retry_after > 0 else window)

    async def _run(self, operation: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        if self._redis is not None and time.monotonic() >= self._redis_down_until:
            try:
                return await operation(self._redis)
            except StorageError as error:
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                logger.warning(
                    "rate limits: Redis unreachable (%r); limiting per process for %.0f s",
                    error.storage_error,
                    REDIS_RETRY_SECONDS,
                )
        return await operation(self._memory)
