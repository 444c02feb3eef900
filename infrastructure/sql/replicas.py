"""Read replicas (APP_DATABASE_REPLICA_URLS): read-only units of work on a streaming replica, everything
else on the primary, with read-your-writes for the caller.

- Routing is per unit of work, chosen when it opens: a writing one (and the reads inside it) runs on the
  primary; a read-only one on a replica in use, or on the primary when none is. A unit of work never
  changes target, so a page and its `Link` come from one database.
- A background task (started with the app) samples the primary's WAL position and each replica's replay
  position and replay timestamp every APP_REPLICA_CHECK_INTERVAL_SECONDS. A replica is used while it is
  reachable and its lag is at most APP_REPLICA_MAX_LAG_SECONDS. No request waits for a check.
- Lag: 0 when the replica has replayed the primary's WAL position sampled just before it; otherwise the
  smaller of two upper bounds: `now() - pg_last_xact_replay_timestamp()` (too high after the primary sat
  idle: the last transaction replayed is old, not late) and the time since the last sample of the
  primary's position the replica has replayed.
- Read-your-writes: after a writing unit of work commits, the primary's `pg_current_wal_insert_lsn()`
  (past the commit record, even with synchronous_commit off) is kept for the caller — the user of the
  request's bearer token and its client address (`caller_keys`, set at the HTTP edge) — in a bounded
  map of this process, and in Redis with APP_REDIS_URL (sql/recent_writes.py). That caller's
  read-only units of work go to a replica only once a check has seen it replay that position, and to the
  primary until then, for at most APP_REPLICA_MAX_LAG_SECONDS + one check interval (by then every replica
  in use has replayed the write).
- A replica that fails to give a connection when a unit of work opens is taken out of use at once, and
  that unit of work runs on the primary; the checks put it back when it answers again."""

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel.ext.asyncio.session import AsyncSession

from infrastructure.settings import Settings
from infrastructure.sql.driver_errors import is_unavailable
from infrastructure.sql.engine import AsyncDatabase, ReplicaState, session_options
from infrastructure.sql.recent_writes import LocalRecentWrites, Lsn, SharedRecentWrites

logger = logging.getLogger(__name__)

# Who is asking, as far as routing cares: ("user:<id>", "address:<ip>") — set by the HTTP edge for the
# request. A hint only: a wrong one can send reads to the primary, never show anyone else's data.
caller_keys: ContextVar[tuple[str, ...]] = ContextVar("caller_keys", default=())

PRIMARY = "primary"

READS = Counter("db_reads_total", "Read-only units of work, by the database they ran on", ["target"])
REPLICA_LAG = Gauge(
    "db_replica_lag_seconds",
    "Replay lag of each replica at the last check (-1: not reached)",
    ["replica"],
    multiprocess_mode="livemax",
)
REPLICA_IN_USE = Gauge(
    "db_replica_in_use",
    "1 while a replica serves reads, 0 while it lags too much or cannot be reached",
    ["replica"],
    multiprocess_mode="livemin",
)


def parse_lsn(value: str) -> Lsn:
    """'16/B374D848' → a comparable integer."""
    high, low = value.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def _name(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.host}:{parsed.port or 5432}/{parsed.database}"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Replica:
    name: str
    database: AsyncDatabase
    dsn: str
    state: Literal["in_use", "lagging", "unreachable", "unchecked"] = "unchecked"
    lag_seconds: float | None = None
    replay_lsn: Lsn | None = None
    checker: asyncpg.Connection | None = None  # the background check's own connection


class _RecordingSession(AsyncSession):
    """A writing session that reports each commit (for read-your-writes)."""

    def __init__(self, bind: Any, on_commit: Callable[[], Awaitable[None]], **options: Any) -> None:
        super().__init__(bind, **options)
        self._on_commit = on_commit

    async def commit(self) -> None:
        await super().commit()
        await self._on_commit()


class RoutedDatabase:
    """The primary and its replicas behind the `Database` port (see the module's docstring)."""

    def __init__(self, primary: AsyncDatabase, replicas: Sequence[Replica], settings: Settings) -> None:
        self.primary = primary
        self.sync_engine = primary.sync_engine
        self.replicas = list(replicas)
        self.max_lag = settings.replica_max_lag_seconds
        self.interval = settings.replica_check_interval_seconds
        self.read_your_writes_seconds = self.max_lag + self.interval
        self.recent_writes = (
            SharedRecentWrites(settings.redis_url, settings.redis_key_prefix)
            if settings.redis_url
            else LocalRecentWrites()
        )
        self._connect_timeout = settings.db_connect_timeout_seconds
        self._primary_dsn = _dsn(settings.database_url)
        self._primary_checker: asyncpg.Connection | None = None
        # (monotonic time, primary WAL position) of recent checks, enough to cover the lag allowed
        self._primary_positions: deque[tuple[float, Lsn]] = deque(
            maxlen=int(self.max_lag / self.interval) + 2
        )
        self._turns = itertools.count()
        self._reads_on = {PRIMARY: READS.labels(PRIMARY)} | {r.name: READS.labels(r.name) for r in replicas}
        self._monitor: asyncio.Task[None] | None = None
        self._checking = asyncio.Lock()

    # --- the Database port ---

    async def session(self, *, writes: bool) -> AsyncSession:
        if writes:
            keys = caller_keys.get()
            if not keys:
                return await self.primary.session(writes=True)
            return _RecordingSession(
                self.primary.transactional, lambda: self._remember_write(keys), **session_options()
            )
        for replica in await self._eligible_replicas():
            session = await replica.database.session(writes=False)
            try:
                await session.connection()  # check out (and pre-ping) now, before any statement
            except Exception as error:
                with contextlib.suppress(Exception):
                    await session.close()
                if not is_unavailable(error):
                    raise
                self._take_out(replica, "unreachable", f"cannot connect: {type(error).__name__}")
                continue
            self._reads_on[replica.name].inc()
            return session
        self._reads_on[PRIMARY].inc()
        return await self.primary.session(writes=False)

    async def ping(self) -> None:
        await self.primary.ping()  # replicas are reported by replica_states(), never required

    async def start(self) -> None:
        if self._monitor is None:
            self._monitor = asyncio.create_task(self._run_checks(), name="replica-checks")

    async def dispose(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
            self._monitor = None
        for checker in [self._primary_checker, *(replica.checker for replica in self.replicas)]:
            if checker is not None:
                with contextlib.suppress(Exception):
                    await checker.close(timeout=1)
        self._primary_checker = None
        for replica in self.replicas:
            replica.checker = None
            await replica.database.dispose()
        if isinstance(self.recent_writes, SharedRecentWrites):
            await self.recent_writes.close()
        await self.primary.dispose()

    def replica_states(self) -> Sequence[ReplicaState]:
        return [ReplicaState(r.name, r.state, r.lag_seconds) for r in self.replicas]

    # --- routing ---

    async def _eligible_replicas(self) -> list[Replica]:
        in_use = [replica for replica in self.replicas if replica.state == "in_use"]
        if not in_use:
            return []
        pending, lsn = await self.recent_writes.required(caller_keys.get())
        if pending:
            if lsn is None:
                return []
            in_use = [r for r in in_use if r.replay_lsn is not None and r.replay_lsn >= lsn]
        if len(in_use) > 1:  # round robin, then the others as fallbacks
            turn = next(self._turns) % len(in_use)
            in_use = in_use[turn:] + in_use[:turn]
        return in_use

    async def _remember_write(self, keys: tuple[str, ...]) -> None:
        """After a commit: the primary's WAL insert position, which is past the commit record. Without it
        (the query failed), the caller reads from the primary for the whole bounded time."""
        lsn: Lsn | None = None
        try:
            async with self.primary.engine.connect() as connection:
                position = await connection.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))
                lsn = parse_lsn(str(position))
        except Exception as error:  # the write is committed: this must not fail the request
            logger.warning("cannot read the primary's WAL position after a commit: %s", error)
        await self.recent_writes.record(keys, lsn, self.read_your_writes_seconds)

    def _take_out(self, replica: Replica, state: Literal["lagging", "unreachable"], why: str) -> None:
        if replica.state != state:
            logger.warning("replica %s is %s (%s): its reads go elsewhere", replica.name, state, why)
        replica.state = state
        REPLICA_IN_USE.labels(replica.name).set(0)

    # --- background checks ---

    async def _run_checks(self) -> None:
        while True:
            await self.check_once()
            await asyncio.sleep(self.interval)

    async def check_once(self) -> None:
        """One round: the primary's WAL position, then every replica's replay position and lag."""
        async with self._checking:
            primary_lsn = await self._primary_position()
            if primary_lsn is not None:
                self._primary_positions.append((time.monotonic(), primary_lsn))
            await asyncio.gather(*(self._check(replica, primary_lsn) for replica in self.replicas))

    async def _primary_position(self) -> Lsn | None:
        try:
            if self._primary_checker is None or self._primary_checker.is_closed():
                self._primary_checker = await self._connect(self._primary_dsn)
            value = await self._primary_checker.fetchval("SELECT pg_current_wal_lsn()::text", timeout=5)
            return parse_lsn(value)
        except Exception as error:
            logger.warning("replica checks: cannot read the primary's WAL position: %s", error)
            await self._drop_checker(self._primary_checker)
            self._primary_checker = None
            return None

    async def _connect(self, dsn: str) -> asyncpg.Connection:
        # No statement cache: a check may go through a transaction-mode pooler too.
        connection: asyncpg.Connection = await asyncpg.connect(
            dsn, timeout=self._connect_timeout, statement_cache_size=0
        )
        return connection

    @staticmethod
    async def _drop_checker(connection: asyncpg.Connection | None) -> None:
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.terminate()

    async def _check(self, replica: Replica, primary_lsn: Lsn | None) -> None:
        try:
            if replica.checker is None or replica.checker.is_closed():
                replica.checker = await self._connect(replica.dsn)
            row = await replica.checker.fetchrow(
                "SELECT pg_last_wal_replay_lsn()::text AS replayed, "
                "extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS behind",
                timeout=self._connect_timeout,
            )
        except Exception as error:
            await self._drop_checker(replica.checker)
            replica.checker = None
            replica.lag_seconds = None
            REPLICA_LAG.labels(replica.name).set(-1)
            self._take_out(replica, "unreachable", f"{type(error).__name__}: {error}")
            return
        assert row is not None
        replica.replay_lsn = parse_lsn(row["replayed"]) if row["replayed"] else None
        lag = self._lag(replica.replay_lsn, primary_lsn, row["behind"])
        replica.lag_seconds = lag
        REPLICA_LAG.labels(replica.name).set(lag if lag is not None else -1)
        if lag is None or lag > self.max_lag:
            self._take_out(replica, "lagging", f"lag {lag if lag is not None else 'unknown'} s")
            return
        if replica.state != "in_use":
            logger.info("replica %s serves reads (lag %.3f s)", replica.name, lag)
        replica.state = "in_use"
        REPLICA_IN_USE.labels(replica.name).set(1)

    def _lag(self, replayed: Lsn | None, primary_lsn: Lsn | None, behind: float | None) -> float | None:
        if replayed is None:  # not a replica in recovery (e.g. promoted): not one to read from
            return None
        if primary_lsn is not None and replayed >= primary_lsn:
            return 0.0
        bounds = [behind] if behind is not None else []
        now = time.monotonic()
        replayed_samples = [at for at, lsn in self._primary_positions if lsn <= replayed]
        if replayed_samples:
            bounds.append(now - max(replayed_samples))
        return max(0.0, min(bounds)) if bounds else None


def replica_set(
    primary: AsyncDatabase, replicas: Sequence[AsyncDatabase], settings: Settings
) -> RoutedDatabase:
    """The routed database over `primary` and `replicas` (built from settings.replica_url_list, in order)."""
    members = [
        Replica(_name(url), database, _dsn(url))
        for url, database in zip(settings.replica_url_list, replicas, strict=True)
    ]
    return RoutedDatabase(primary, members, settings)
