"""Examples for /docs: a response's from its DTO's field examples (so an example shows exactly the
fields of its schema, and a new field brings its own), request bodies as written here."""

from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from api.schemas.sessions import REFRESH_TOKEN_EXAMPLE

USER_CREATE = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "correct horse battery"}
LOGIN_FORM = {"username": "ada@example.com", "password": "correct horse battery"}
USER_UPDATE = {"email": "ada@lovelace.example", "current_password": "correct horse battery"}
ACCOUNT_DELETION = {"current_password": "correct horse battery"}
POST_CREATE = {"title": "Notes on the Analytical Engine", "content": "It might act upon other things."}
POST_UPDATE = {"title": "Notes on the Engine, revised"}
COMMENT_CREATE = {"body": "It might indeed."}
COMMENT_UPDATE = {"body": "It might indeed, and music too."}
REFRESH_FORM = {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN_EXAMPLE}
REVOKE_FORM = {"token": REFRESH_TOKEN_EXAMPLE, "token_type_hint": "refresh_token"}
ROLE_CHANGE = {"role": "moderator"}
SUSPENSION = {"reason": "Spam after two warnings"}


_LINK = {
    "description": 'The next page, when there is one: `<…?limit=50&after=8>; rel="next"`',
    "schema": {"type": "string"},
}


ETAG_HEADER = {
    "description": 'The version of the resource, `"<id>.<version>"` (a post\'s also names its comment count, '
    '`"<id>.<version>.<count>"`, which `If-Match` does not compare): for `If-None-Match` and `If-Match`',
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


def example_of(model: type[BaseModel]) -> dict[str, Any]:
    """An example of `model`, made of its fields' own examples (a nested model's example for a field
    whose type is a model; the value of a one-value Literal); a field without any is a LookupError, so
    that a response field is never documented without one."""
    example: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            example[name] = example_of(annotation)
        elif field.examples:
            example[name] = field.examples[0]
        elif get_origin(annotation) is Literal:
            example[name] = get_args(annotation)[0]
        else:
            raise LookupError(f"{model.__name__}.{name} has no example: give it Field(examples=[…])")
    return example


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
