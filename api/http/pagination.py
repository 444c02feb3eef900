"""Keyset-paged lists: their query parameters, and their response with its Link header."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Query, Request

from api.dependencies import public_url
from api.http.responses import JSONBytes
from application.pagination import MAX_PAGE_SIZE, Page
from domain.ids import ID_MAX

T = TypeVar("T")


# The query parameters of a keyset-paged list, taken by the endpoint itself (`limit: Limit =
# DEFAULT_PAGE_SIZE, after: After = 0`): a dependency holding them costs FastAPI's solving of one more
# dependency per request (`python -m benchmarks.dependency_cost`).
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")]
After = Annotated[
    int, Query(ge=0, le=ID_MAX, description="Return items whose id is greater than this cursor")
]


def page_response(
    page: Page[T],
    limit: int,
    to_json: Callable[[T], Any],
    request: Request,
    **filters: int | None,
) -> JSONBytes:
    """One page as a JSON array, and `Link: <url>; rel="next"` when there is a next page. The link is
    made of the request's path and the paging parameters (and the given filters) only: relative, or under
    APP_PUBLIC_URL; never from the Host header or other query parameters of the request."""
    headers = {}
    if page.next_cursor is not None:
        params = {name: value for name, value in filters.items() if value is not None}
        query = urlencode({**params, "limit": limit, "after": page.next_cursor})
        headers["Link"] = f'<{public_url(request)}{request.url.path}?{query}>; rel="next"'
    return JSONBytes([to_json(item) for item in page.items], headers=headers)
