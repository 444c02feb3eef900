"""Admin DTOs: users as admins see them, role changes, suspensions, audit entries."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.builders import Source, json_builder
from api.schemas.text import SINGLE_LINE
from api.schemas.users import UserRead
from application.ports.audit import AuditAction
from domain.roles import Role
from domain.users import SUSPENSION_REASON_MAX_LENGTH, User


def _suspended_at(user: User) -> datetime | None:
    return user.suspension.since if user.suspension else None


def _suspension_reason(user: User) -> str | None:
    return user.suspension.reason if user.suspension else None


class AdminUserRead(UserRead):
    """A user with what only admins see: their email (and whether it is verified), role and suspension."""

    role: Role = Field(examples=["member"])
    suspended: bool = Field(examples=[True])
    suspended_at: Annotated[datetime | None, Source(_suspended_at)] = Field(
        description="When they were suspended; null when they are not", examples=["2026-11-25T11:00:00Z"]
    )
    suspension_reason: Annotated[str | None, Source(_suspension_reason)] = Field(
        description="The reason given; null when not suspended", examples=["Spam after two warnings"]
    )


admin_user_json = json_builder(AdminUserRead)  # from a User


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

    id: int = Field(examples=[12])
    at: datetime = Field(examples=["2026-11-25T11:00:00Z"])
    actor_id: int | None = Field(
        description="The admin or moderator; null: the command line or the system", examples=[1]
    )
    action: str = Field(
        description=f"One of {', '.join(f'`{action.value}`' for action in AuditAction)}",
        examples=["user.suspended"],
    )
    target: str = Field(description="`user:<id>`, `post:<id>` or `session:<id>`", examples=["user:42"])
    reason: str | None = Field(examples=["Spam after two warnings"])
    request_id: str | None = Field(examples=["5f0c6d5e9a8b4c7d8e9f0a1b2c3d4e5f"])


audit_entry_json = json_builder(AuditEntryRead)  # from an AuditEntry
