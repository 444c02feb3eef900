"""Prometheus metrics of the database pool. Gauges say how they add up over worker processes
(prometheus-client's multiprocess mode, when PROMETHEUS_MULTIPROC_DIR is set): "livesum" sums the live
workers."""

from prometheus_client import Gauge
from sqlalchemy import Engine, event
from sqlalchemy.pool import QueuePool

DB_POOL_SIZE = Gauge(
    "db_pool_size", "Connections the database pool keeps open (PostgreSQL)", multiprocess_mode="livesum"
)
DB_POOL_IN_USE = Gauge(
    "db_pool_connections_in_use",
    "Database connections checked out of the pool (PostgreSQL)",
    multiprocess_mode="livesum",
)


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
