"""Prometheus metrics of the adapters: password hashing and the database pool.

Gauges say how they add up over worker processes (prometheus-client's multiprocess mode, when
PROMETHEUS_MULTIPROC_DIR is set): "livesum" sums the live workers."""

from time import perf_counter

from prometheus_client import Gauge, Histogram
from sqlalchemy import Engine, event
from sqlalchemy.pool import QueuePool

from application.ports import PasswordHasher

HASHING_SECONDS = Histogram(
    "password_hashing_seconds",
    "Time to hash or verify a password, waiting for a turn included",
    ["operation"],
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 4.0, 8.0),
)
HASHING_IN_PROGRESS = Gauge(
    "password_hashing_in_progress",
    "Password hash and verify operations running or waiting for a turn",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "db_pool_size", "Connections the database pool keeps open (PostgreSQL)", multiprocess_mode="livesum"
)
DB_POOL_IN_USE = Gauge(
    "db_pool_connections_in_use",
    "Database connections checked out of the pool (PostgreSQL)",
    multiprocess_mode="livesum",
)


class MeasuredPasswordHasher:
    """A PasswordHasher that times the one it wraps and counts the operations under way."""

    def __init__(self, inner: PasswordHasher) -> None:
        self._inner = inner
        self._hash_seconds = HASHING_SECONDS.labels("hash")
        self._verify_seconds = HASHING_SECONDS.labels("verify")

    async def hash(self, password: str) -> str:
        start = perf_counter()
        HASHING_IN_PROGRESS.inc()
        try:
            return await self._inner.hash(password)
        finally:
            HASHING_IN_PROGRESS.dec()
            self._hash_seconds.observe(perf_counter() - start)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        start = perf_counter()
        HASHING_IN_PROGRESS.inc()
        try:
            return await self._inner.verify(password, password_hash)
        finally:
            HASHING_IN_PROGRESS.dec()
            self._verify_seconds.observe(perf_counter() - start)


def watch_pool(engine: Engine) -> None:
    """Report the size and the connections in use of `engine`'s pool. Only a queue pool (PostgreSQL)
    has one worth reporting: the embedded SQLite holds one connection."""
    pool = engine.pool
    if engine.dialect.name == "sqlite" or not isinstance(pool, QueuePool):
        return
    DB_POOL_SIZE.set(pool.size())
    # Listening on the engine (not the pool) keeps the listeners when dispose() replaces the pool.
    event.listen(engine, "checkout", lambda *_: DB_POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: DB_POOL_IN_USE.dec())
