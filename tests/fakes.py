"""Hand-written fakes of the ports that have no in-memory adapter in infrastructure."""

from datetime import UTC, datetime, timedelta


class FakeHasher:
    """Instant, reversible-looking hashing for tests; never use outside them."""

    async def hash(self, password: str) -> str:
        return f"fake-hash:{password[::-1]}"

    async def verify(self, password: str, password_hash: str | None) -> bool:
        return password_hash == f"fake-hash:{password[::-1]}"


class FixedClock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)
