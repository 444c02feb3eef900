"""The audit log: who did what to whom, appended in the unit of work of the action it records."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from application.pagination import Page, PageRequest


class AuditAction(StrEnum):
    POST_DELETED = "post.deleted"
    COMMENT_DELETED = "comment.deleted"
    USER_SUSPENDED = "user.suspended"
    USER_REINSTATED = "user.reinstated"
    ROLE_CHANGED = "user.role_changed"
    REFRESH_TOKEN_REUSED = "session.refresh_token_reused"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who (`actor_id`; None: the command line or the system) did what to whom, when, why, and in which
    request. `target` names the subject: `user:5`, `post:7`, `comment:9`, `session:<id>`."""

    action: AuditAction
    target: str
    at: datetime
    actor_id: int | None
    reason: str | None = None
    request_id: str | None = None
    id: int | None = None


class AuditReader(Protocol):
    async def list(self, page: PageRequest) -> Page[AuditEntry]:
        """Entries in id (hence time) order, keyset-paged."""
        ...


class AuditLog(AuditReader, Protocol):
    """Append-only: an entry is written in the unit of work of the action it records."""

    async def add(self, entry: AuditEntry) -> None: ...
