"""The documented error responses of an operation: a problem schema under `application/problem+json`,
the headers sent along, and examples drawn from the problem types' table."""

from collections.abc import Mapping, Sequence
from typing import Any

from api.problems.response import PROBLEM_JSON
from api.problems.types import DOCUMENTED, ProblemType

SCHEMA_REF = "#/components/schemas/"
EXAMPLE_REQUEST_ID = "5f0c6d5e9a8b4c7d8e9f0a1b2c3d4e5f"


# What any route taking a body may answer besides its own errors: a body that cannot be parsed (400),
# too large (413), or not valid (422).
BODY_PROBLEMS = (400, 413, 422)

_DESCRIPTIONS = {
    400: "The body cannot be parsed, or a header (`If-Match`, `If-None-Match`, `Idempotency-Key`) is "
    "malformed; where a token is sent, the token is not valid",
    401: "No valid bearer token (missing, malformed, expired or revoked)",
    403: "Not allowed: not the author, not the role the operation needs, a suspended account, a wrong "
    "`current_password`, or an unverified email",
    404: "Not found",
    409: "Conflict with the current state: the email is taken, a concurrent change won, or a request with "
    "this `Idempotency-Key` is still running",
    412: "Precondition failed: the resource changed since the version `If-Match` names; nothing was written",
    413: "The request body is too large",
    422: "The request is not valid; `errors` says where",
    428: "Precondition required: this server needs `If-Match` on changes (`APP_REQUIRE_IF_MATCH`)",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "Temporarily unavailable (database unreachable, password hashing saturated, or mail off); "
    "retry after `Retry-After` seconds",
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
    *statuses: int,
    details: Mapping[int, str] | None = None,
    instance: str = "/",
    also: Sequence[ProblemType] = (),
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses: each a `Problem` (422: a `ValidationProblem`) under
    `application/problem+json`, with the headers sent along and an example per problem type (`details`
    and `instance` make them this operation's; `also` names the types this operation answers besides
    the DOCUMENTED ones)."""
    return {
        status: _problem_response(status, (details or {}).get(status), instance, also) for status in statuses
    }


def _problem_response(
    status: int, detail: str | None, instance: str, also: Sequence[ProblemType]
) -> dict[str, Any]:
    kinds = [kind for kind in (*DOCUMENTED, *also) if kind.status == status]
    schema = "ValidationProblem" if status == 422 else "Problem"
    media: dict[str, Any] = {"schema": {"$ref": SCHEMA_REF + schema}}
    if len(kinds) == 1:
        media["example"] = _example(kinds[0], detail, instance)
    else:  # one named example per problem type this status stands for
        media["examples"] = {kind.slug: {"value": _example(kind, detail, instance)} for kind in kinds}
    response: dict[str, Any] = {"description": _DESCRIPTIONS[status], "content": {PROBLEM_JSON: media}}
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _example(kind: ProblemType, detail: str | None, instance: str) -> dict[str, Any]:
    example: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail or kind.detail,
        "instance": instance,
        "request_id": EXAMPLE_REQUEST_ID,
    }
    if kind.status == 422:
        example["errors"] = [{"loc": ["body", "email"], "msg": "Field required", "type": "missing"}]
    return example
