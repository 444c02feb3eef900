"""The one place where errors become HTTP: every failure is an RFC 9457 problem+json response."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from api.paths import OAUTH_PATHS
from api.problems import types
from api.problems.response import MAX_REPORTED_ERRORS, problem
from api.problems.types import ProblemType
from application.errors import StorageUnavailable, TryLater
from domain.errors import (
    DomainError,
    ValidationError,
)

logger = logging.getLogger(__name__)

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
RETRY_AFTER_SECONDS = "5"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StorageUnavailable, _storage_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)


async def _domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    kind = types.problem_type_of(type(error))
    extra: dict[str, Any] = {}
    headers: dict[str, str] | None = None
    if isinstance(error, ValidationError):
        extra["errors"] = [
            {"loc": [error.location, error.field], "msg": error.message, "type": "value_error"}
        ]
    elif isinstance(error, TryLater):
        headers = {"Retry-After": str(error.retry_after)}
    elif kind.status == 401 and request.url.path not in OAUTH_PATHS:  # there: a 400 (api.problems.oauth)
        headers = BEARER_CHALLENGE
    return problem(kind, detail=error.message, instance=request.url.path, headers=headers, **extra)


async def _request_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    # Only loc/msg/type: the rejected input may be a password and is never echoed back. The loc of an
    # unknown field is the field's own name, input too: it stops at the object holding it. Repeated
    # errors are listed once, and at most MAX_REPORTED_ERRORS of them.
    errors: list[dict[str, Any]] = []
    seen: set[tuple[tuple[Any, ...], str]] = set()
    for e in error.errors():
        loc = tuple(e["loc"][:-1] if e["type"] == "extra_forbidden" else e["loc"])
        if (loc, e["type"]) in seen:
            continue
        seen.add((loc, e["type"]))
        errors.append({"loc": list(loc), "msg": e["msg"], "type": e["type"]})
        if len(errors) == MAX_REPORTED_ERRORS:
            break
    return problem(types.VALIDATION_ERROR, instance=request.url.path, errors=errors)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem(
        ProblemType(error.status_code, str(error.detail)), instance=request.url.path, headers=headers
    )


def _allowed_methods(request: Request) -> str:
    """Every method the path answers to. Starlette's 405 names only those of the first route matching
    the path, while here each method of a path is a route of its own: ask the routes for each method."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    )


async def _storage_unavailable(request: Request, error: Exception) -> Response:
    logger.warning("storage unavailable: %r", error.__cause__ or error)
    return problem(
        types.STORAGE_UNAVAILABLE, instance=request.url.path, headers={"Retry-After": RETRY_AFTER_SECONDS}
    )


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(types.UNEXPECTED, instance=request.url.path)
