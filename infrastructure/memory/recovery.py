"""One-time tokens and the mail outbox (with its delivery side) in memory."""

from dataclasses import dataclass, replace
from datetime import datetime

from application.ports.mail import OutgoingMail
from application.ports.recovery import OneTimeToken, TokenPurpose
from infrastructure.mail.queue import MailStatus, QueuedMail, new_mail_key
from infrastructure.memory.repository import InMemoryRepository, Staged
from infrastructure.memory.tables import TableSpec
from infrastructure.memory.users import USERS

ONE_TIME_TOKENS: TableSpec[OneTimeToken] = TableSpec("tokens", parent=(USERS, lambda token: token.user_id))


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
class OutboxRecord:
    id: int
    key: str
    mail: OutgoingMail
    status: MailStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None


OUTBOX: TableSpec[OutboxRecord] = TableSpec("outbox")


class InMemoryOutbox(InMemoryRepository):
    """`Outbox` and `MailQueue` in memory."""

    _records = Staged(OUTBOX)

    async def add(self, mail: OutgoingMail, now: datetime) -> None:
        mail_id = self._uow.store.next_id(OUTBOX.name)
        self._records.rows[mail_id] = OutboxRecord(
            mail_id, new_mail_key(), mail, MailStatus.PENDING, 0, now, now
        )

    async def add_decoy(self, now: datetime) -> None:
        return None  # nothing to time in memory

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[QueuedMail]:
        rows = self._records.rows
        due = sorted(
            (r for r in rows.values() if r.status is MailStatus.PENDING and r.next_attempt_at <= now),
            key=lambda r: (r.next_attempt_at, r.id),
        )[:limit]
        claimed = []
        for record in due:
            rows[record.id] = replace(record, attempts=record.attempts + 1, next_attempt_at=lease_until)
            mail = record.mail
            claimed.append(
                QueuedMail(record.id, record.key, mail.to, mail.subject, mail.body, record.attempts + 1)
            )
        return sorted(claimed, key=lambda mail: mail.id)

    def _set(self, mail_id: int, **changes: object) -> None:
        record = self._records.rows.get(mail_id)
        if record is not None:
            self._records.rows[mail_id] = replace(record, **changes)  # type: ignore[arg-type]

    async def mark_sent(self, mail_id: int, now: datetime) -> None:
        record = self._records.rows.get(mail_id)
        if record is not None:
            self._set(mail_id, status=MailStatus.SENT, sent_at=now, mail=replace(record.mail, body=""))

    async def retry_at(self, mail_id: int, when: datetime, error: str) -> None:
        self._set(mail_id, next_attempt_at=when, last_error=error)

    async def give_up(self, mail_id: int, error: str) -> None:
        record = self._records.rows.get(mail_id)
        if record is not None:
            self._set(mail_id, status=MailStatus.FAILED, last_error=error, mail=replace(record.mail, body=""))

    async def prune(self, written_before: datetime) -> int:
        rows = self._records.rows
        done = [
            i for i, r in rows.items() if r.status is not MailStatus.PENDING and r.created_at < written_before
        ]
        for mail_id in done:
            del rows[mail_id]
        return len(done)

    async def status(self, mail_id: int) -> tuple[MailStatus, int] | None:
        record = self._records.rows.get(mail_id)
        return (record.status, record.attempts) if record is not None else None
