"""The one shape of every error response: an RFC 9457 problem, sent as `application/problem+json`."""

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from api.observability.request_ids import REQUEST_ID
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
    """A problem of `kind`, saying `detail` (the kind's default when None)."""
    body = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail or kind.detail,
        "instance": instance,
        **extra,
        "request_id": REQUEST_ID.get(),  # to quote when reporting the error
    }
    return ProblemResponse(body, status_code=kind.status, headers=headers)
