"""Session DTOs: the token grant, and the caller's sessions (never any token material)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from application.sessions import Grant
from domain.sessions import Session


class Token(BaseModel):
    """What `POST /auth/token` answers, for either grant type (RFC 6749 §5.1)."""

    access_token: str = Field(description="Bearer token for `Authorization: Bearer …`")
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the access token stays valid")
    refresh_token: str = Field(
        description="Opaque; trade it at `POST /auth/token` with `grant_type=refresh_token` for a new "
        "pair. Single use: each refresh answers a new one, and presenting a used one again ends the session"
    )
    refresh_expires_in: int = Field(
        description="Seconds the refresh token stays valid if unused (the idle limit, capped by the "
        "session's absolute end)"
    )


def grant_json(grant: Grant) -> dict[str, Any]:
    return {
        "access_token": grant.access_token,
        "token_type": "bearer",
        "expires_in": grant.expires_in,
        "refresh_token": grant.refresh_token,
        "refresh_expires_in": grant.refresh_expires_in,
    }


class SessionRead(BaseModel):
    """One of the caller's sessions: where and when it signed in and was last used."""

    id: str = Field(description="The session id: the `sid` of its access tokens")
    created_at: datetime
    last_used_at: datetime = Field(description="The login, or the latest refresh")
    expires_at: datetime = Field(description="Its absolute end, however much it is used")
    client_address: str
    user_agent: str
    current: bool = Field(description="Whether it is the session of the token making this request")


def session_json(session: Session, current_id: str) -> dict[str, Any]:
    return {
        "id": session.id,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "expires_at": session.expires_at,
        "client_address": session.client_address,
        "user_agent": session.user_agent,
        "current": session.id == current_id,
    }
