"""Session DTOs: the token grant, and the caller's sessions (never any token material)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.schemas.builders import Given, json_builder
from api.schemas.users import UserRead

REFRESH_TOKEN_EXAMPLE = "kC8nJ0tq3vVtZ1m2F4yH6QpL9sXwR5eA7dU0bN3cG8I"


class Token(BaseModel):
    """What `POST /auth/token` answers, for either grant type (RFC 6749 §5.1)."""

    access_token: str = Field(
        description="Bearer token for `Authorization: Bearer …`",
        examples=["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"],
    )
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token stays valid", examples=[900])
    refresh_token: str = Field(
        description="Opaque; trade it at `POST /auth/token` with `grant_type=refresh_token` for a new "
        "pair. Single use: each refresh answers a new one, and presenting a used one again ends the session",
        examples=[REFRESH_TOKEN_EXAMPLE],
    )
    refresh_expires_in: int = Field(
        description="Seconds the refresh token stays valid if unused (the idle limit, capped by the "
        "session's absolute end)",
        examples=[604800],
    )


grant_json = json_builder(Token)  # from a Grant


class CookieSession(BaseModel):
    """What `POST /auth/session` and its refresh answer. The access and refresh tokens are in HttpOnly
    cookies, never in the body: page scripts cannot read them."""

    user: UserRead = Field(description="The signed-in user, as they see themselves")
    csrf_token: Annotated[str, Given()] = Field(
        description="Send it as `X-CSRF-Token` with every POST, PUT, PATCH and DELETE made with the "
        "session's cookies (it is also in the `__Host-csrf` cookie); it stays the session's for its life",
        examples=["q3J9nV4mB0tX7cL2wZ8kR1yF6sD5hG3aE0uI9oP4jNk"],
    )
    expires_in: int = Field(
        description="Seconds the access cookie's token stays valid: refresh the session before",
        examples=[900],
    )


cookie_session_json = json_builder(CookieSession)  # from a Grant, and the session's CSRF token


class SessionRead(BaseModel):
    """One of the caller's sessions: where and when it signed in and was last used."""

    id: str = Field(
        description="The session id: the `sid` of its access tokens",
        examples=["9f1c2e7b4a6d4b0e8c3f5a2d1e0b7c6a"],
    )
    created_at: datetime = Field(examples=["2026-11-25T09:30:00Z"])
    last_used_at: datetime = Field(
        description="The login, or the latest refresh", examples=["2026-11-25T10:15:00Z"]
    )
    expires_at: datetime = Field(
        description="Its absolute end, however much it is used", examples=["2026-12-25T09:30:00Z"]
    )
    client_address: str = Field(examples=["203.0.113.7"])
    user_agent: str = Field(examples=["Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"])
    current: Annotated[bool, Given()] = Field(
        description="Whether it is the session of the token making this request", examples=[True]
    )


session_json = json_builder(SessionRead)  # from a Session, and whether it is the caller's
