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
