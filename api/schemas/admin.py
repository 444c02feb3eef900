"""Admin DTOs: users as admins see them, role changes, suspensions, audit entries."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.text import SINGLE_LINE
from api.schemas.users import user_json
from application.ports.audit import AuditEntry
from domain.roles import Role
from domain.users import SUSPENSION_REASON_MAX_LENGTH, User


class AdminUserRead(BaseModel):
    """A user with what only admins see: email (and whether it is verified), role and suspension."""

    id: int
    name: str
    email: str
    email_verified: bool = Field(description="Whether the owner followed a link mailed to `email`")
    created_at: datetime
    role: Role
    suspended: bool
    suspended_at: datetime | None = Field(description="When they were suspended; null when they are not")
    suspension_reason: str | None = Field(description="The reason given; null when not suspended")


def admin_user_json(user: User) -> dict[str, Any]:
    suspension = user.suspension
    return user_json(user) | {
        "role": user.role.value,
        "suspended": suspension is not None,
        "suspended_at": suspension.since if suspension else None,
        "suspension_reason": suspension.reason if suspension else None,
    }


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role = Field(description="`member`, `moderator` or `admin`")


Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SUSPENSION_REASON_MAX_LENGTH),
    SINGLE_LINE,
]


class SuspensionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="Why; recorded with the suspension and in the audit log")


class AuditEntryRead(BaseModel):
    """Who did what to whom, when, why, and in which request."""

    id: int
    at: datetime
    actor_id: int | None = Field(description="The admin or moderator; null: the command line or the system")
    action: str = Field(
        description="`post.deleted`, `user.suspended`, `user.reinstated`, `user.role_changed` or "
        "`session.refresh_token_reused`"
    )
    target: str = Field(description="`user:<id>`, `post:<id>` or `session:<id>`")
    reason: str | None
    request_id: str | None


def audit_entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "action": entry.action.value,
        "target": entry.target,
        "reason": entry.reason,
        "request_id": entry.request_id,
    }
