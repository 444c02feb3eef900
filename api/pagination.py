"""Query parameters and the Link header of keyset-paged lists."""

from typing import Annotated, Any

from fastapi import Query, Request, Response

from application.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest
from domain.ids import ID_MAX


async def page_request(  # async: a sync dependency would run in the threadpool
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")] = DEFAULT_PAGE_SIZE,
    after: Annotated[
        int, Query(ge=0, le=ID_MAX, description="Return items whose id is greater than this cursor")
    ] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, after=after)


def link_next(request: Request, response: Response, page: Page[Any], limit: int) -> None:
    """Advertise the next page as `Link: <url>; rel="next"` when there is one."""
    if page.next_cursor is not None:
        url = request.url.include_query_params(limit=limit, after=page.next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
