"""Idempotent creates: the records of Idempotency-Key requests."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

KEY_MAX_LENGTH = 255
CALLER_MAX_LENGTH = 100
FINGERPRINT_LENGTH = 64  # hex SHA-256
TOKEN_LENGTH = 32


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first answer, replayed to every retry: status, the headers that matter, body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """Who sent it (a user, or a client address), their key, and a fingerprint of what they sent."""

    caller: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    request: IdempotentRequest
    token: str  # the claim's holder
    locked_until: datetime
    expires_at: datetime
    response: StoredResponse | None = None  # None while the first request runs


class IdempotencyRecords(Protocol):
    """Records of idempotent requests, one per (caller, key): unique, whoever writes them concurrently.
    Written in the unit of work of the create they guard. Adapters raise
    application.errors.StorageUnavailable when the storage cannot be reached."""

    async def add(self, record: IdempotencyRecord) -> bool:
        """Store a new record unless one with its caller and key exists (the unique constraint decides,
        waiting for a concurrent writer); False when one did, and nothing was written."""
        ...

    async def get(self, caller: str, key: str) -> IdempotencyRecord | None: ...

    async def take_over(self, record: IdempotencyRecord, from_token: str) -> bool:
        """Replace the running record of `record`'s caller and key held by `from_token` (its lease ran
        out) with `record`, in one conditional statement; False if another got there first."""
        ...

    async def complete(self, caller: str, key: str, token: str, response: StoredResponse) -> bool:
        """Store the answer in the record held by `token`; False (nothing written) if it is not held."""
        ...

    async def release(self, caller: str, key: str, token: str) -> None:
        """Delete the record held by `token`, if it is."""
        ...

    async def delete_expired(self, now: datetime) -> None:
        """Delete every record expired at `now`."""
        ...
