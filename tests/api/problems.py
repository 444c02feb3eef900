from typing import Any

import httpx


def assert_problem(response: httpx.Response, status: int, detail: str | None = None) -> dict[str, Any]:
    """Assert `response` is an RFC 9457 problem with `status` (and `detail`), and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    if detail is not None:
        assert body["detail"] == detail
    return body


def assert_oauth_problem(
    response: httpx.Response, error: str, status: int = 400, detail: str | None = None
) -> dict[str, Any]:
    """Assert `response` is a problem of an OAuth endpoint: with RFC 6749's `error` and
    `error_description` beside the problem's members, never cached, without a bearer challenge."""
    body = assert_problem(response, status, detail)
    assert body["error"] == error, body
    assert body["error_description"], body
    assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")
    assert "www-authenticate" not in response.headers
    return body
