"""SQL adapters of the one-time token store and the mail outbox (with its delivery side), over the
unit of work's session. Redeeming a token is one statement, so concurrent callers cannot both win;
the outbox's delivery side is infrastructure.sql.outbox's."""

from datetime import datetime
from typing import Any, ClassVar

from sqlmodel import col, delete, insert, select

from application.ports.mail import OutgoingMail
from application.ports.recovery import OneTimeToken, TokenPurpose
from infrastructure.mail.queue import QueuedMail
from infrastructure.outbox.queue import OutboxStatus
from infrastructure.sql.engine import UnitSession
from infrastructure.sql.mapping import read_first
from infrastructure.sql.outbox import SqlOutboxTable
from infrastructure.sql.tables import ONE_TIME_TOKENS, MailOutboxRow, OneTimeTokenRow


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


class SqlOutbox(SqlOutboxTable[QueuedMail]):
    """`Outbox` for use cases, and the delivery side of `mail_outbox` (MailQueue): the body, which may
    hold a live token, is not kept once a message is sent or given up."""

    row = MailOutboxRow
    record = QueuedMail
    claimed: ClassVar[dict[str, str]] = {"to": "recipient"}
    cleared: ClassVar[dict[str, Any]] = {"body": ""}

    async def add(self, mail: OutgoingMail, now: datetime) -> None:
        await self._insert(now, recipient=mail.to, subject=mail.subject, body=mail.body)

    async def add_decoy(self, now: datetime) -> None:
        # Failed: never claimed, even if the delete below were lost; and nothing to wake the loop for.
        added = self.added
        key = await self._insert(now, OutboxStatus.FAILED.value, recipient="", subject="", body="")
        self.added = added
        await self._session.exec(delete(MailOutboxRow).where(col(MailOutboxRow.key) == key))
