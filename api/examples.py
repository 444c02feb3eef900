"""Realistic bodies for /docs: one sample per resource, shaped to whichever DTO a route documents (so an
example shows exactly the fields of its schema)."""

from typing import Any

from pydantic import BaseModel

_USER: dict[str, Any] = {
    "id": 1,
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "created_at": "2026-11-25T09:30:00Z",
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
    "expires_in": 3600,
}

USER_CREATE = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "correct horse battery"}
LOGIN_FORM = {"username": "ada@example.com", "password": "correct horse battery"}
USER_UPDATE = {"email": "ada@lovelace.example", "current_password": "correct horse battery"}
ACCOUNT_DELETION = {"current_password": "correct horse battery"}
POST_CREATE = {"title": "Notes on the Analytical Engine", "content": "It might act upon other things."}
POST_UPDATE = {"title": "Notes on the Engine, revised"}


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
    """The sample resource `model` describes (a token, a post or a user), with `model`'s fields only."""
    fields = model.model_fields
    sample = _TOKEN if "access_token" in fields else _POST if "title" in fields else _USER
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
