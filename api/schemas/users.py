"""User DTOs. Limits come from the domain constants; no response schema carries a password or hash."""

from datetime import datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.text import SINGLE_LINE, PatchBody
from domain.users import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    PublicProfile,
    User,
)

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH), SINGLE_LINE
]
EmailText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=EMAIL_MAX_LENGTH),
    Field(examples=["ada@example.com"], json_schema_extra={"format": "email"}),
]
Password = Annotated[str, Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailText
    password: Password


CurrentPassword = Annotated[
    str, Field(max_length=PASSWORD_MAX_LENGTH, description="Proof for a new email or password")
]


class UserUpdate(PatchBody):
    """Fields to change; a new `email` or `password` needs `current_password`."""

    name: Name | None = None
    email: EmailText | None = None
    password: Password | None = None
    current_password: CurrentPassword | None = None

    changes: ClassVar[tuple[str, ...]] = ("name", "email", "password")
    dependent_required: ClassVar[dict[str, tuple[str, ...]]] = {
        "email": ("current_password",),
        "password": ("current_password",),
    }

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.name is None and self.email is None and self.password is None:
            raise ValueError("give at least one of name, email, password")
        return self


class AccountDeletion(BaseModel):
    """Deleting the account needs the current password."""

    model_config = ConfigDict(extra="forbid")

    current_password: CurrentPassword


class UserPublic(BaseModel):
    """A user as anyone sees them: no email."""

    id: int
    name: str
    created_at: datetime


class UserRead(BaseModel):
    """A user as they see themselves: with their email (registration, `/users/me`)."""

    id: int
    name: str
    email: str
    email_verified: bool = Field(description="Whether the owner followed a link mailed to `email`")
    created_at: datetime


def user_json(user: User) -> dict[str, Any]:
    """A UserRead (the owner's view) as JSON-ready data, built without validating what the domain
    already guarantees."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email.value,
        "email_verified": user.email_verified,
        "created_at": user.created_at,
    }


def public_user_json(profile: PublicProfile) -> dict[str, Any]:
    """A UserPublic as JSON-ready data."""
    return {"id": profile.id, "name": profile.name, "created_at": profile.created_at}
