"""The SQL adapter of IdempotencyRecords, over the unit of work's session. The unique (caller, key)
constraint decides between concurrent claims: `INSERT … ON CONFLICT DO NOTHING` (on PostgreSQL it waits
for a concurrent insert of the same key to commit or roll back); every other write is one conditional
statement on the holder's token."""

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, select, update

from application.ports.idempotency import IdempotencyRecord, IdempotentRequest, StoredResponse
from infrastructure.sql.engine import UnitSession
from infrastructure.sql.mapping import aware
from infrastructure.sql.tables import IdempotencyRecordRow


def _values(record: IdempotencyRecord) -> dict[str, Any]:
    return {
        "caller": record.request.caller,
        "key": record.request.key,
        "fingerprint": record.request.fingerprint,
        "token": record.token,
        "locked_until": record.locked_until,
        "expires_at": record.expires_at,
    }


def _held(caller: str, key: str, token: str) -> Any:
    return (
        (col(IdempotencyRecordRow.caller) == caller)
        & (col(IdempotencyRecordRow.key) == key)
        & (col(IdempotencyRecordRow.token) == token)
    )


class SqlIdempotencyRecords:
    def __init__(self, session: UnitSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def add(self, record: IdempotencyRecord) -> bool:
        unique = ["caller", "key"]
        statement = (
            postgresql.insert(IdempotencyRecordRow)
            .values(_values(record))
            .on_conflict_do_nothing(index_elements=unique)
            if self._dialect == "postgresql"
            else sqlite.insert(IdempotencyRecordRow)
            .values(_values(record))
            .on_conflict_do_nothing(index_elements=unique)
        )
        return bool((await self._session.exec(statement)).rowcount)

    async def get(self, caller: str, key: str) -> IdempotencyRecord | None:
        statement = select(IdempotencyRecordRow).where(
            col(IdempotencyRecordRow.caller) == caller, col(IdempotencyRecordRow.key) == key
        )
        row = (await self._session.exec(statement)).first()
        if row is None:
            return None
        response = None
        if row.status is not None:
            headers = tuple((name, value) for name, value in row.headers or ())
            response = StoredResponse(row.status, headers, row.body or b"")
        return IdempotencyRecord(
            IdempotentRequest(row.caller, row.key, row.fingerprint),
            row.token,
            aware(row.locked_until),
            aware(row.expires_at),
            response,
        )

    async def take_over(self, record: IdempotencyRecord, from_token: str) -> bool:
        request = record.request
        statement = (
            update(IdempotencyRecordRow)
            .where(_held(request.caller, request.key, from_token), col(IdempotencyRecordRow.status).is_(None))
            .values(_values(record))
        )
        return bool((await self._session.exec(statement)).rowcount)

    async def complete(self, caller: str, key: str, token: str, response: StoredResponse) -> bool:
        statement = (
            update(IdempotencyRecordRow)
            .where(_held(caller, key, token))
            .values(
                status=response.status,
                headers=[list(header) for header in response.headers],
                body=response.body,
            )
        )
        return bool((await self._session.exec(statement)).rowcount)

    async def release(self, caller: str, key: str, token: str) -> None:
        await self._session.exec(delete(IdempotencyRecordRow).where(_held(caller, key, token)))

    async def delete_expired(self, now: datetime) -> None:
        await self._session.exec(
            delete(IdempotencyRecordRow).where(col(IdempotencyRecordRow.expires_at) <= now)
        )
