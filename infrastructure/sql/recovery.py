"""SQL adapters of the one-time token store and the mail outbox (with its delivery side), over the
unit of work's session. Redeeming a token and claiming mail are each one statement, so concurrent
callers cannot both win."""

from datetime import datetime
from typing import Any

from sqlmodel import col, delete, insert, select, update

from application.ports.mail import OutgoingMail
from application.ports.recovery import OneTimeToken, TokenPurpose
from infrastructure.mail.queue import MailStatus, QueuedMail, new_mail_key
from infrastructure.sql.engine import UnitSession
from infrastructure.sql.mapping import read_first
from infrastructure.sql.tables import MAIL_ERROR_MAX_LENGTH, ONE_TIME_TOKENS, MailOutboxRow, OneTimeTokenRow


class SqlOneTimeTokenStore:
    def __init__(self, session: UnitSession) -> None:
        self._session = session

    async def add(self, token: OneTimeToken) -> None:
        await self._session.exec(insert(OneTimeTokenRow).values(ONE_TIME_TOKENS.values(token)))

    def _live(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> Any:
        return (
            col(OneTimeTokenRow.token_hash) == token_hash,
            col(OneTimeTokenRow.purpose) == purpose.value,
            col(OneTimeTokenRow.expires_at) > now,
        )

    async def find(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        statement = select(*ONE_TIME_TOKENS.columns).where(*self._live(token_hash, purpose, now))
        return read_first(await self._session.exec(statement), ONE_TIME_TOKENS)

    async def consume(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        statement = (
            delete(OneTimeTokenRow)
            .where(*self._live(token_hash, purpose, now))
            .returning(*ONE_TIME_TOKENS.columns)
        )
        return read_first(await self._session.exec(statement), ONE_TIME_TOKENS)

    async def delete_expired(self, now: datetime) -> int:
        result = await self._session.exec(
            delete(OneTimeTokenRow).where(col(OneTimeTokenRow.expires_at) <= now)
        )
        return int(result.rowcount)

    async def revoke(self, user_id: int, purpose: TokenPurpose) -> None:
        await self._session.exec(
            delete(OneTimeTokenRow).where(
                col(OneTimeTokenRow.user_id) == user_id, col(OneTimeTokenRow.purpose) == purpose.value
            )
        )


_CLAIMED: tuple[Any, ...] = (
    col(MailOutboxRow.id),
    col(MailOutboxRow.key),
    col(MailOutboxRow.recipient),
    col(MailOutboxRow.subject),
    col(MailOutboxRow.body),
    col(MailOutboxRow.attempts),
)

_STATUS_COLUMNS: tuple[Any, ...] = (col(MailOutboxRow.status), col(MailOutboxRow.attempts))


class SqlOutbox:
    """`Outbox` for use cases, `MailQueue` for the delivery loop. `added` tells the unit of work that
    this transaction wrote mail (to wake the loop when it commits)."""

    def __init__(self, session: UnitSession) -> None:
        self._session = session
        self.added = False

    async def add(self, mail: OutgoingMail, now: datetime) -> None:
        values = {
            "key": new_mail_key(),
            "recipient": mail.to,
            "subject": mail.subject,
            "body": mail.body,
            "status": MailStatus.PENDING.value,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        await self._session.exec(insert(MailOutboxRow).values(values))
        self.added = True

    async def add_decoy(self, now: datetime) -> None:
        key = new_mail_key()
        values = {
            "key": key,
            "recipient": "",
            "subject": "",
            "body": "",
            "status": MailStatus.FAILED.value,  # never claimed, even if the delete below were lost
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        await self._session.exec(insert(MailOutboxRow).values(values))
        await self._session.exec(delete(MailOutboxRow).where(col(MailOutboxRow.key) == key))

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[QueuedMail]:
        due = (
            select(col(MailOutboxRow.id))
            .where(
                col(MailOutboxRow.status) == MailStatus.PENDING.value,
                col(MailOutboxRow.next_attempt_at) <= now,
            )
            .order_by(col(MailOutboxRow.next_attempt_at), col(MailOutboxRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's writer is alone anyway
        )
        statement = (
            update(MailOutboxRow)
            .where(col(MailOutboxRow.id).in_(due.scalar_subquery()))
            .values(attempts=col(MailOutboxRow.attempts) + 1, next_attempt_at=lease_until)
            .returning(*_CLAIMED)
        )
        result: Any = await self._session.exec(statement)
        claimed = [QueuedMail(*row) for row in result.all()]
        return sorted(claimed, key=lambda mail: mail.id)

    async def _set(self, mail_id: int, **values: Any) -> None:
        await self._session.exec(update(MailOutboxRow).where(col(MailOutboxRow.id) == mail_id).values(values))

    async def mark_sent(self, mail_id: int, now: datetime) -> None:
        # The body may hold a live token: it is not kept once sent.
        await self._set(mail_id, status=MailStatus.SENT.value, sent_at=now, body="", last_error=None)

    async def retry_at(self, mail_id: int, when: datetime, error: str) -> None:
        await self._set(mail_id, next_attempt_at=when, last_error=error[:MAIL_ERROR_MAX_LENGTH])

    async def give_up(self, mail_id: int, error: str) -> None:
        await self._set(
            mail_id, status=MailStatus.FAILED.value, body="", last_error=error[:MAIL_ERROR_MAX_LENGTH]
        )

    async def prune(self, written_before: datetime) -> int:
        done = (MailStatus.SENT.value, MailStatus.FAILED.value)
        result = await self._session.exec(
            delete(MailOutboxRow).where(
                col(MailOutboxRow.status).in_(done), col(MailOutboxRow.created_at) < written_before
            )
        )
        return int(result.rowcount)

    async def status(self, mail_id: int) -> tuple[MailStatus, int] | None:
        result: Any = await self._session.exec(
            select(*_STATUS_COLUMNS).where(col(MailOutboxRow.id) == mail_id)
        )
        row = result.first()
        return (MailStatus(row.status), row.attempts) if row is not None else None
