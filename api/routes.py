"""Route registration shared by the routers."""

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from fastapi import APIRouter

from api.openapi.tags import operation_id

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
