"""Routes are tried in order for every request: the API's come before the documentation's, which still
answer."""

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

DOCUMENTATION = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static-offline-docs"}


def test_the_api_routes_are_tried_before_the_documentation(app: FastAPI) -> None:
    paths = [getattr(route, "path", None) for route in app.router.routes]
    first_documentation = min(i for i, path in enumerate(paths) if path in DOCUMENTATION)
    assert set(paths[first_documentation:]) == DOCUMENTATION
    assert any(isinstance(route, APIRoute) and route.path == "/metrics" for route in app.router.routes)


async def test_the_documentation_still_answers(client: httpx.AsyncClient) -> None:
    for path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"):
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/static-offline-docs/swagger-ui.css")).status_code == 200
