"""Route registration shared by the routers."""

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def collection(route: Callable[..., Callable[[F], F]], /, **options: Any) -> Callable[[F], F]:
    """Register a collection endpoint (`router.get`, `router.post`) at both spellings of its path, with
    and without the trailing slash, so neither answers with a redirect; only "/" is documented."""

    def register(endpoint: F) -> F:
        documented = route("/", **options)(endpoint)
        route("", include_in_schema=False, **options)(endpoint)
        return documented

    return register
