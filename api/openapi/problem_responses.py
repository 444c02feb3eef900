"""The documented error responses of an operation: a problem schema under `application/problem+json`,
the headers sent along, and examples drawn from the problem types' table."""

from collections.abc import Sequence
from typing import Any

from api.browser.csrf import CsrfOriginRefused, CsrfTokenMismatch
from api.problems.response import PROBLEM_JSON
from api.problems.types import (
    BODY_TOO_LARGE,
    MALFORMED_HEADER,
    PRECONDITION_REQUIRED,
    STORAGE_UNAVAILABLE,
    UNPARSABLE_BODY,
    VALIDATION_ERROR,
    ProblemType,
    problem_type_of,
)
from application.errors import Raises
from application.idempotency import Idempotency
from domain.errors import DomainError, InvalidCredentials, PreconditionFailed

SCHEMA_REF = "#/components/schemas/"
EXAMPLE_REQUEST_ID = "5f0c6d5e9a8b4c7d8e9f0a1b2c3d4e5f"


Cause = type[Exception] | ProblemType
"""Why an operation may answer a problem: an error it may raise (its problem from the one table), or a
problem the HTTP layer answers itself."""

# What a route answers because of what it takes, besides its use cases' errors.
BODY: tuple[Cause, ...] = (UNPARSABLE_BODY, BODY_TOO_LARGE, VALIDATION_ERROR)  # a body to parse and validate
PARAMETERS: tuple[Cause, ...] = (VALIDATION_ERROR,)  # path or query parameters to validate
AUTHENTICATED: tuple[Cause, ...] = (InvalidCredentials,)  # a bearer token
IF_MATCH: tuple[Cause, ...] = (MALFORMED_HEADER, PreconditionFailed, PRECONDITION_REQUIRED)
IF_NONE_MATCH: tuple[Cause, ...] = (MALFORMED_HEADER,)
IDEMPOTENT: tuple[Cause, ...] = (MALFORMED_HEADER, *Idempotency.raises)  # an Idempotency-Key header
CSRF_CHECKED: tuple[Cause, ...] = (CsrfTokenMismatch, CsrfOriginRefused)  # a cookie session's change


_DESCRIPTIONS = {
    400: "The body cannot be parsed, or a header (`If-Match`, `If-None-Match`, `Idempotency-Key`) is "
    "malformed; where a token is sent, the token is not valid",
    401: "No valid bearer token (missing, malformed, expired or revoked)",
    403: "Not allowed: not the author, not the role the operation needs, a suspended account, a wrong "
    "`current_password`, an unverified email, or a cookie session's request failing the CSRF check",
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
PROBLEM_HEADERS: dict[int, dict[str, Any]] = {
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
    *sources: type | ProblemType | Sequence[Cause], instance: str = "/"
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the problems an operation may answer: those of its use cases (what each
    `raises`), of what it takes (BODY, AUTHENTICATED, IF_MATCH…), and an unreachable database (503).
    Each status is a `Problem` (422: a `ValidationProblem`) under `application/problem+json`, with the
    headers sent along and an example per cause, saying the cause's own message (`instance` makes them
    this operation's)."""
    causes: dict[int, dict[str, tuple[ProblemType, str]]] = {}
    for cause in (*causes_of(sources), STORAGE_UNAVAILABLE):
        kind, detail, name = described(cause)
        causes.setdefault(kind.status, {}).setdefault(name, (kind, detail))
    return {status: _problem_response(status, causes[status], instance) for status in sorted(causes)}


def causes_of(sources: Sequence[type | ProblemType | Sequence[Cause]]) -> list[Cause]:
    """The causes `sources` name: themselves, or what a use case class `raises`."""
    found: list[Cause] = []
    for source in sources:
        if isinstance(source, ProblemType) or (isinstance(source, type) and issubclass(source, Exception)):
            found.append(source)
        elif isinstance(source, type):
            raises: Raises = getattr(source, "raises")  # noqa: B009 - a use case class's ClassVar
            found.extend(raises)
        else:
            found.extend(source)
    return found


def described(cause: Cause) -> tuple[ProblemType, str, str]:
    """The problem of `cause`, its detail, and the name of its example."""
    if isinstance(cause, ProblemType):
        return cause, cause.detail, cause.slug or f"status-{cause.status}"
    message = cause.default_message if issubclass(cause, DomainError) else problem_type_of(cause).detail
    return problem_type_of(cause), message, cause.__name__


def _problem_response(
    status: int, causes: dict[str, tuple[ProblemType, str]], instance: str
) -> dict[str, Any]:
    schema = "ValidationProblem" if status == 422 else "Problem"
    media: dict[str, Any] = {"schema": {"$ref": SCHEMA_REF + schema}}
    examples = {name: _example(kind, detail, instance) for name, (kind, detail) in causes.items()}
    if len(examples) == 1:
        media["example"] = next(iter(examples.values()))
    else:  # one named example per cause this status stands for
        media["examples"] = {name: {"value": example} for name, example in examples.items()}
    response: dict[str, Any] = {"description": _DESCRIPTIONS[status], "content": {PROBLEM_JSON: media}}
    if status in PROBLEM_HEADERS:
        response["headers"] = PROBLEM_HEADERS[status]
    return response


def _example(kind: ProblemType, detail: str, instance: str) -> dict[str, Any]:
    example: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": instance,
        "request_id": EXAMPLE_REQUEST_ID,
    }
    if kind.status == 422:
        example["errors"] = [{"loc": ["body", "email"], "msg": "Field required", "type": "missing"}]
    return example
