"""RFC 9457 problem details: the one shape of every error response."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi.responses import JSONResponse
from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"


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


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, Any]] | None = None
    request_id: str | None = None


# What any route taking a body may answer besides its own errors: a body that is not UTF-8 (400), too
# large (413), or not valid (422).
BODY_PROBLEMS = (400, 413, 422)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Problem, "content": {PROBLEM_JSON: {}}} for status in statuses}
