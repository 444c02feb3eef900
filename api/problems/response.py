"""The one shape of every error response: an RFC 9457 problem, sent as `application/problem+json`."""

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from api.observability.request_ids import REQUEST_ID
from api.paths import OAUTH_PATHS
from api.problems.oauth import oauth_problem
from api.problems.types import ProblemType

PROBLEM_JSON = "application/problem+json"
MAX_REPORTED_ERRORS = 20


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem(
    kind: ProblemType,
    *,
    instance: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    """A problem of `kind`, saying `detail` (the kind's default when None), about the request for the
    path `instance`."""
    body = problem_body(kind, instance=instance, detail=detail, request_id=REQUEST_ID.get(), **extra)
    return ProblemResponse(body, status_code=body["status"], headers=headers)


def problem_body(
    kind: ProblemType, *, instance: str, request_id: str | None, detail: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The body of a problem of `kind`; on an OAuth endpoint, with RFC 6749's members too."""
    detail = detail or kind.detail
    if instance in OAUTH_PATHS:
        kind, oauth = oauth_problem(kind, detail, extra.get("errors"))
        extra |= oauth
    return {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": instance,
        **extra,
        "request_id": request_id,  # to quote when reporting the error
    }
