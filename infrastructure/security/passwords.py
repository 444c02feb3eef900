"""Password hashing: argon2id in worker threads, a bounded number at once, so that the event loop keeps
serving and memory stays bounded; and its timing, when metrics are on."""

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter
from typing import Any, TypeVar

from prometheus_client import Gauge, Histogram
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from application.errors import Overloaded
from application.ports.security import PasswordHasher

T = TypeVar("T")

# OWASP Password Storage Cheat Sheet, argon2id: "m=19456 (19 MiB), t=2, p=1" is its first listed
# configuration. Of its equivalent options it needs the least memory per hash, which is what bounds a
# flood of logins (N hashes at once cost N times 19 MiB). Hashes stored with other parameters (pwdlib's
# former defaults: m=65536, t=3, p=4) carry them in their encoding and keep verifying.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_COST_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
DEFAULT_HASH_QUEUE = 64
RETRY_AFTER_BUSY_SECONDS = 1
# Hashing threads run at the lowest CPU priority: a flood of logins takes the CPU the requests leave
# idle, and the event loop (reads, everything else) still gets a core the moment it needs one.
HASHING_THREAD_NICENESS = 19


def argon2_password_hash() -> PasswordHash:
    """The service's one argon2id configuration (ARGON2_*): what it hashes with, seeding included."""
    return PasswordHash(
        (
            Argon2Hasher(
                time_cost=ARGON2_TIME_COST,
                memory_cost=ARGON2_MEMORY_COST_KIB,
                parallelism=ARGON2_PARALLELISM,
            ),
        )
    )


def _lower_this_threads_priority() -> None:
    # On Linux a thread is a task of its own: setpriority on its native id renices only this thread.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_THREAD_NICENESS)


class Argon2PasswordHasher:
    """At most `concurrency` hashes run at once, in a pool of low-priority threads of its own; up to
    `queue` more wait their turn; beyond that Overloaded is raised before any work starts."""

    def __init__(self, concurrency: int | None = None, queue: int = DEFAULT_HASH_QUEUE) -> None:
        self._hash = argon2_password_hash()
        self.concurrency = concurrency or os.cpu_count() or 1
        self.capacity = self.concurrency + queue
        self.in_flight = 0  # running or waiting; touched only on the event loop
        self._pool: ThreadPoolExecutor | None = None  # made at first use: nothing starts at import
        # Verified against when there is no user, so that a missing email costs the same time.
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await self._run(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash("dummy password, never anyone's")
            await self._run(self._verify, password, self._dummy_hash)
            return False
        return await self._run(self._verify, password, password_hash)

    def _verify(self, password: str, password_hash: str) -> bool:
        try:
            return self._hash.verify(password, password_hash)
        except Exception:  # a corrupt stored hash verifies nothing
            return False

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        if self.in_flight >= self.capacity:
            raise Overloaded(None, RETRY_AFTER_BUSY_SECONDS)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.concurrency, thread_name_prefix="argon2", initializer=_lower_this_threads_priority
            )
        self.in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, functools.partial(work, *args))
        finally:
            self.in_flight -= 1


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
