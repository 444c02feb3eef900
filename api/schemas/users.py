"""User DTOs. Limits come from the domain constants; no response schema carries a password or hash.
Each response field is declared once, with its example: the views extend one another, and their JSON
is built by json_builder from these declarations (api.schemas.builders)."""

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.builders import Source, json_builder
from api.schemas.text import SINGLE_LINE, PatchBody
from domain.users import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
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

    proofs: ClassVar[tuple[str, ...]] = ("current_password",)
    dependent_required: ClassVar[dict[str, tuple[str, ...]]] = {
        "email": ("current_password",),
        "password": ("current_password",),
    }


class AccountDeletion(BaseModel):
    """Deleting the account needs the current password."""

    model_config = ConfigDict(extra="forbid")

    current_password: CurrentPassword


class UserSummary(BaseModel):
    """Who a user is, in the fields every view of a user shows (a post shows its author so)."""

    id: int = Field(examples=[1])
    name: str = Field(examples=["Ada Lovelace"])
    created_at: datetime = Field(examples=["2026-11-25T09:30:00Z"])


class UserPublic(UserSummary):
    """A user as anyone sees them: no email."""


class UserRead(UserPublic):
    """A user as they see themselves: with their email (registration, `/users/me`)."""

    email: Annotated[str, Source("email.value")] = Field(examples=["ada@example.com"])
    email_verified: bool = Field(
        description="Whether the owner followed a link mailed to `email`", examples=[True]
    )


user_json = json_builder(UserRead)  # from a User
public_user_json = json_builder(UserPublic)  # from a PublicProfile
