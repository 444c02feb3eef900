"""DTOs of password reset and email verification."""

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.users import EmailText, Password

Token = Field(
    description="The `token` query parameter of the mailed link",
    examples=["kM3bq0wZ5mJ1pX8vT2nY7cR4hL6sD9fG0aE3uI5oQ1w"],
)


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailText


class PasswordResetConfirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Token
    new_password: Password


class EmailVerification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Token


class Accepted(BaseModel):
    """The request is taken; what it leads to arrives by mail."""

    detail: str
