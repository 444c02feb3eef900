"""Idempotency records in memory."""

from dataclasses import replace
from datetime import datetime

from application.ports.idempotency import IdempotencyRecord, StoredResponse
from infrastructure.memory.repository import InMemoryRepository, Staged
from infrastructure.memory.tables import TableSpec

IDEMPOTENCY: TableSpec[IdempotencyRecord] = TableSpec("idempotency")


class InMemoryIdempotencyRecords(InMemoryRepository):
    """Each check compares with the last committed records (as a unique constraint does), and a claim's
    unit of work commits with no pause in between: one claim per key, however units of work interleave."""

    _records = Staged(IDEMPOTENCY)

    async def add(self, record: IdempotencyRecord) -> bool:
        if self._records.latest((record.request.caller, record.request.key)) is not None:
            return False
        self._records.rows[record.request.caller, record.request.key] = record
        return True

    async def get(self, caller: str, key: str) -> IdempotencyRecord | None:
        return self._records.latest((caller, key))

    async def take_over(self, record: IdempotencyRecord, from_token: str) -> bool:
        request = record.request
        current = self._records.latest((request.caller, request.key))
        if current is None or current.token != from_token or current.response is not None:
            return False
        self._records.rows[request.caller, request.key] = record
        return True

    async def complete(self, caller: str, key: str, token: str, response: StoredResponse) -> bool:
        current = self._records.latest((caller, key))
        if current is None or current.token != token:
            return False
        self._records.rows[caller, key] = replace(current, response=response)
        return True

    async def release(self, caller: str, key: str, token: str) -> None:
        current = self._records.latest((caller, key))
        if current is not None and current.token == token:
            self._records.rows.pop((caller, key), None)

    async def delete_expired(self, now: datetime) -> None:
        rows = self._records.rows
        for key in [key for key, record in rows.items() if record.expires_at <= now]:
            del rows[key]
