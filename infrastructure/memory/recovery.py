"""One-time tokens and the mail outbox (with its delivery side) in memory."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from application.ports.mail import OutgoingMail
from application.ports.recovery import OneTimeToken, TokenPurpose
from infrastructure.mail.queue import QueuedMail
from infrastructure.memory.outbox import InMemoryOutboxTable, OutboxRecord
from infrastructure.memory.repository import InMemoryRepository, Staged
from infrastructure.memory.tables import TableSpec
from infrastructure.memory.users import USERS

ONE_TIME_TOKENS: TableSpec[OneTimeToken] = TableSpec(
    "tokens", parents=((USERS, lambda token: token.user_id),)
)


class InMemoryOneTimeTokenStore(InMemoryRepository):
    _tokens = Staged(ONE_TIME_TOKENS)

    async def add(self, token: OneTimeToken) -> None:
        self._uow.insert(ONE_TIME_TOKENS, token.token_hash, token)

    async def find(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        token = self._tokens.rows.get(token_hash)
        return token if token is not None and token.purpose is purpose and token.expires_at > now else None

    async def consume(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        consumed = self._uow.store.consumed_tokens
        if token_hash in consumed:
            return None  # another open unit of work has it
        token = await self.find(token_hash, purpose, now)
        if token is not None:
            del self._tokens.rows[token_hash]
            consumed.add(token_hash)
            self._uow.consumed_tokens.add(token_hash)
        return token

    async def delete_expired(self, now: datetime) -> int:
        rows = self._tokens.rows
        expired = [token_hash for token_hash, token in rows.items() if token.expires_at <= now]
        for token_hash in expired:
            del rows[token_hash]
        return len(expired)

    async def revoke(self, user_id: int, purpose: TokenPurpose) -> None:
        rows = self._tokens.rows
        for token_hash in [h for h, t in rows.items() if t.user_id == user_id and t.purpose is purpose]:
            del rows[token_hash]


@dataclass(frozen=True, slots=True)
class MailRecord(OutboxRecord):
    id: int
    key: str
    mail: OutgoingMail


OUTBOX: TableSpec[MailRecord] = TableSpec("outbox")


class InMemoryOutbox(InMemoryOutboxTable[MailRecord, QueuedMail]):
    """`Outbox` and `MailQueue` in memory: a body is not kept once sent or given up."""

    _records = Staged(OUTBOX)
    record = QueuedMail

    async def add(self, mail: OutgoingMail, now: datetime) -> None:
        self._insert(MailRecord, now, mail=mail)

    async def add_decoy(self, now: datetime) -> None:
        return None  # nothing to time in memory

    def carries(self, record: MailRecord) -> dict[str, Any]:
        return {"to": record.mail.to, "subject": record.mail.subject, "body": record.mail.body}

    def cleared(self, record: MailRecord) -> MailRecord:
        return replace(record, mail=replace(record.mail, body=""))
