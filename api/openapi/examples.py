"""Realistic bodies for /docs: one sample per resource, shaped to whichever DTO a route documents (so an
example shows exactly the fields of its schema)."""

from typing import Any

from pydantic import BaseModel

_USER: dict[str, Any] = {
    "id": 1,
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "email_verified": True,
    "created_at": "2026-11-25T09:30:00Z",
    "role": "member",
    "suspended": True,
    "suspended_at": "2026-11-25T11:00:00Z",
    "suspension_reason": "Spam after two warnings",
}
_POST: dict[str, Any] = {
    "id": 7,
    "title": "Notes on the Analytical Engine",
    "content": "It might act upon other things besides number.",
    "author_id": 1,
    "created_at": "2026-11-25T10:00:00Z",
    "updated_at": "2026-11-25T10:05:00Z",
    "author": _USER,
}
_TOKEN: dict[str, Any] = {
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_token": "kC8nJ0tq3vVtZ1m2F4yH6QpL9sXwR5eA7dU0bN3cG8I",
    "refresh_expires_in": 604800,
}
_SESSION: dict[str, Any] = {
    "id": "9f1c2e7b4a6d4b0e8c3f5a2d1e0b7c6a",
    "created_at": "2026-11-25T09:30:00Z",
    "last_used_at": "2026-11-25T10:15:00Z",
    "expires_at": "2026-12-25T09:30:00Z",
    "client_address": "203.0.113.7",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
    "current": True,
}
_AUDIT: dict[str, Any] = {
    "id": 12,
    "at": "2026-11-25T11:00:00Z",
    "actor_id": 1,
    "action": "user.suspended",
    "target": "user:42",
    "reason": "Spam after two warnings",
    "request_id": "5f0c6d5e9a8b4c7d8e9f0a1b2c3d4e5f",
}

USER_CREATE = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "correct horse battery"}
LOGIN_FORM = {"username": "ada@example.com", "password": "correct horse battery"}
USER_UPDATE = {"email": "ada@lovelace.example", "current_password": "correct horse battery"}
ACCOUNT_DELETION = {"current_password": "correct horse battery"}
POST_CREATE = {"title": "Notes on the Analytical Engine", "content": "It might act upon other things."}
POST_UPDATE = {"title": "Notes on the Engine, revised"}
REFRESH_FORM = {"grant_type": "refresh_token", "refresh_token": _TOKEN["refresh_token"]}
REVOKE_FORM = {"token": _TOKEN["refresh_token"], "token_type_hint": "refresh_token"}
ROLE_CHANGE = {"role": "moderator"}
SUSPENSION = {"reason": "Spam after two warnings"}


_LINK = {
    "description": 'The next page, when there is one: `<…?limit=50&after=8>; rel="next"`',
    "schema": {"type": "string"},
}


ETAG_HEADER = {
    "description": 'The version of the resource, `"<id>.<version>"`: for `If-None-Match` and `If-Match`',
    "required": True,
    "schema": {"type": "string"},
    "example": '"7.3"',
}
_LOCATION = {
    "description": "Where the created resource is: `/posts/7` (under `APP_PUBLIC_URL` when set)",
    "required": True,
    "schema": {"type": "string"},
}
NOT_MODIFIED: dict[int | str, Any] = {
    304: {
        "description": "Not modified: `If-None-Match` names the current version; no body",
        "headers": {"ETag": ETAG_HEADER},
    }
}


def _shaped(model: type[BaseModel], sample: dict[str, Any]) -> dict[str, Any]:
    shaped = {}
    for name, field in model.model_fields.items():
        value = sample.get(name, field.default)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            value = _shaped(field.annotation, value)
        shaped[name] = value
    return shaped


def example_of(model: type[BaseModel]) -> dict[str, Any]:
    """The sample resource `model` describes (a token, a session, an audit entry, a post or a user),
    with `model`'s fields only."""
    fields = model.model_fields
    sample = (
        _TOKEN
        if "access_token" in fields
        else _SESSION
        if "user_agent" in fields
        else _AUDIT
        if "action" in fields
        else _POST
        if "title" in fields
        else _USER
    )
    return _shaped(model, sample)


def response_example(
    status: int, model: type[BaseModel], *, many: bool = False, tagged: bool = False
) -> dict[int | str, Any]:
    """`responses=` entry giving the success response (`status`) an example of `model`; with `many`, a
    page of two and the `Link` header that leads to the next page; `tagged`: with its `ETag` (and its
    `Location` for a 201)."""
    one = example_of(model)
    if not many:
        response: dict[str, Any] = {"content": {"application/json": {"example": one}}}
        if tagged:
            response["headers"] = {"ETag": ETAG_HEADER} | ({"Location": _LOCATION} if status == 201 else {})
        return {status: response}
    page = [one, {**one, "id": one["id"] + 1}]
    return {status: {"content": {"application/json": {"example": page}}, "headers": {"Link": _LINK}}}


def request_example(value: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    """`openapi_extra=` giving the request body an example."""
    return {"requestBody": {"content": {media_type: {"example": value}}}}
