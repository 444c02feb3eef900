"""RFC 9457 problem details: the one shape of every error response, and how the OpenAPI schema
documents it (under the media type actually sent, `application/problem+json`)."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Annotated, Any

from asgi_correlation_id import correlation_id
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "urn:users-posts:problem:"
MAX_REPORTED_ERRORS = 20
SCHEMA_REF = "#/components/schemas/"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem(
    status: int,
    detail: str,
    *,
    instance: str,
    type_: str = "about:blank",
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
        "request_id": correlation_id.get(),  # to quote when reporting the error
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def _no_default(schema: JsonDict) -> None:
    schema.pop("default", None)


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, for people (`title`, `detail`) and programs (`type`,
    `status`)."""

    type: str = Field(description="A URI naming the kind of problem; `about:blank` when the status says all")
    title: str = Field(description="The status' short phrase")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong in this case")
    instance: str = Field(description="The path of the request")
    # Optional, and never null when sent: documented as a plain string.
    request_id: str | SkipJsonSchema[None] = Field(
        default=None, description="The request's id (`X-Request-ID`)", json_schema_extra=_no_default
    )


class FieldError(BaseModel):
    """One invalid part of the request. The rejected value is never echoed."""

    loc: list[str | int] = Field(description='Where: e.g. `["body", "email"]` or `["query", "limit"]`')
    msg: str
    type: str


class ValidationProblem(Problem):
    """A 422 problem: `errors` lists what is not valid (at most 20 of them)."""

    errors: Annotated[list[FieldError], Field(max_length=MAX_REPORTED_ERRORS)]


# What any route taking a body may answer besides its own errors: a body that cannot be parsed (400),
# too large (413), or not valid (422).
BODY_PROBLEMS = (400, 413, 422)

_DESCRIPTIONS = {
    400: "The body cannot be parsed, or a header (`If-Match`, `If-None-Match`, `Idempotency-Key`) is "
    "malformed",
    401: "No valid bearer token (missing, malformed, expired or revoked)",
    403: "Not allowed: not the author, or a wrong `current_password`",
    404: "Not found",
    409: "Conflict with the current state: the email is taken, or a request with this `Idempotency-Key` "
    "is still running",
    412: "Precondition failed: the resource changed since the version `If-Match` names; nothing was written",
    413: "The request body is too large",
    422: "The request is not valid; `errors` says where",
    428: "Precondition required: this server needs `If-Match` on changes (`APP_REQUIRE_IF_MATCH`)",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "Temporarily unavailable (database unreachable or password hashing saturated); "
    "retry after `Retry-After` seconds",
}
_SLUGS = {
    401: "invalid-credentials",
    403: "permission-denied",
    404: "not-found",
    409: "already-exists",
    412: "precondition-failed",
    422: "validation-error",
    429: "rate-limited",
    503: "storage-unavailable",
}
_DETAILS = {
    400: "There was an error parsing the body",
    401: "Could not validate credentials",
    403: "Only the author of a post may change or delete it",
    404: "Not found",
    409: "A user with this email is already registered",
    412: "The post has changed since the version given",
    413: "The request body is too large",
    422: "The request is not valid; see errors",
    428: "This change must be conditional: send If-Match with the ETag of the version it is based on",
    429: "Too many requests; try again later",
    503: "The service cannot reach its database; try again shortly",
}
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`: the token scheme to use",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}


def problem_responses(
    *statuses: int, details: Mapping[int, str] | None = None, instance: str = "/"
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses: each a `Problem` (422: a `ValidationProblem`) under
    `application/problem+json`, with the headers sent along and an example (`details` and `instance`
    make it this operation's)."""
    return {status: _problem_response(status, (details or {}).get(status), instance) for status in statuses}


def _problem_response(status: int, detail: str | None, instance: str) -> dict[str, Any]:
    example: dict[str, Any] = {
        "type": PROBLEM_TYPE + _SLUGS[status] if status in _SLUGS else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or _DETAILS[status],
        "instance": instance,
        "request_id": "5f0c6d5e9a8b4c7d8e9f0a1b2c3d4e5f",
    }
    if status == 422:
        example["errors"] = [{"loc": ["body", "email"], "msg": "Field required", "type": "missing"}]
    schema = "ValidationProblem" if status == 422 else "Problem"
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": SCHEMA_REF + schema}, "example": example}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response
