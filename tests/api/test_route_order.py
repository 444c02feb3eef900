"""Routes are tried in order for every request: the API's come before the documentation's, which still
answer."""

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

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


def test_the_routes_are_the_app_s_own_not_included_routers(app: FastAPI) -> None:
    # An included router is matched twice per request, through FastAPI's scope bookkeeping (api.app).
    api = [route for route in app.router.routes if getattr(route, "path", None) not in DOCUMENTATION]
    assert all(isinstance(route, APIRoute | Route) for route in api)


def test_get_routes_are_tried_first_and_in_their_declared_order(app: FastAPI) -> None:
    api = [route for route in app.router.routes if getattr(route, "path", None) not in DOCUMENTATION]
    reads = ["GET" in (route.methods or ()) for route in api if isinstance(route, APIRoute | Route)]
    assert reads == sorted(reads, reverse=True)
    paths = [route.path for route in api if isinstance(route, APIRoute) and "GET" in (route.methods or ())]
    assert paths.index("/users/me") < paths.index("/users/{user_id}")  # "me" is not a user id


def test_the_document_keeps_the_declared_order(app: FastAPI) -> None:
    paths = list(app.openapi()["paths"])
    assert paths[0] == "/auth/token"
    assert (
        paths.index("/users/me")
        < paths.index("/users/")
        < paths.index("/posts/")
        < paths.index("/health/live")
    )
