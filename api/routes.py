"""Route registration shared by the routers."""

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel

from api.http.conditional import IF_NONE_MATCH_DOCUMENTED
from api.openapi.examples import NOT_MODIFIED, response_example
from api.openapi.problem_responses import IF_NONE_MATCH, Cause, problem_responses
from api.openapi.tags import operation_id
from api.problems.types import ProblemType

F = TypeVar("F", bound=Callable[..., Any])


def api_router(*, prefix: str = "", tags: list[str | Enum] | None = None) -> APIRouter:
    """A router whose routes the app takes as they are (api.app): each is named for the OpenAPI
    document as it is declared, by `operation_id`, since no including app renames it."""
    return APIRouter(prefix=prefix, tags=tags, generate_unique_id_function=operation_id)


def collection(route: Callable[..., Callable[[F], F]], /, **options: Any) -> Callable[[F], F]:
    """Register a collection endpoint (`router.get`, `router.post`) at both spellings of its path, with
    and without the trailing slash, so neither answers with a redirect; only "/" is documented."""

    def register(endpoint: F) -> F:
        documented = route("/", **options)(endpoint)
        route("", include_in_schema=False, **options)(endpoint)
        return documented

    return register


def answers(
    model: type[BaseModel],
    *problems: type | ProblemType | Sequence[Cause],
    instance: str,
    status: int = 200,
    many: bool = False,
    tagged: bool = False,
    conditional: bool = False,
) -> dict[str, Any]:
    """A route's `response_model` and `responses`: `model` (a page of them with `many`), answered with
    `status` and an example, with its `ETag` when `tagged`; a conditional read (`conditional`) also
    answers 304 and documents If-None-Match; and the problems `problems` name (problem_responses)."""
    responses = response_example(status, model, many=many, tagged=tagged or conditional)
    if conditional:
        responses |= NOT_MODIFIED
        problems = (*problems, IF_NONE_MATCH)
    documented: dict[str, Any] = {
        "response_model": list[model] if many else model,  # type: ignore[valid-type]
        "responses": responses | problem_responses(*problems, instance=instance),
    }
    if conditional:
        documented["openapi_extra"] = IF_NONE_MATCH_DOCUMENTED
    return documented
