"""Cookie sessions beside bearer tokens (the app over ASGI, on https://testserver so that the client's
cookie jar sends the Secure cookies): the cookies, the CSRF check of every unsafe cookie-authenticated
request, refresh and sign-out, and bearer requests untouched."""

from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from api.app import create_app
from infrastructure.container import Container
from infrastructure.memory import MemoryStore
from infrastructure.settings import Settings
from tests.api.problems import assert_oauth_problem, assert_problem
from tests.factories import UserCreatePayload
from tests.fakes import FixedClock

OWN = "https://testserver"
APP_ORIGIN = "https://app.testserver"  # listed in APP_CORS_ORIGINS
OTHER_ORIGIN = "https://evil.example"
CSRF = "urn:users-posts:problem:csrf"
POST = {"title": "Hello", "content": "From a browser"}


def settings(**changes: Any) -> providers.Object[Settings]:
    base = {
        "limit_register_per_address": "1000/minute",
        "limit_posts_per_user": "1000/minute",
        "cors_origins": APP_ORIGIN,
    }
    return providers.Object(Settings(**(base | changes)))


@pytest.fixture
def app(container: Container) -> FastAPI:
    container.settings.override(settings())
    return create_app(container)


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client keeping cookies, as a browser on the API's own origin does."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=OWN) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, origin: str = OWN, **fields: str) -> dict[str, Any]:
    """Register a user and start a cookie session; the answer's body."""
    payload = UserCreatePayload(**fields)
    assert (await client.post("/users/", json=payload)).status_code == 201
    form = {"username": payload["email"], "password": payload["password"]}
    started = await client.post("/auth/session", data=form, headers={"Origin": origin})
    assert started.status_code == 200, started.text
    body: dict[str, Any] = started.json()
    return body


async def signed_in_both_ways(client: httpx.AsyncClient, browser: httpx.AsyncClient) -> dict[str, str]:
    """One user with a cookie session in `browser` and a bearer session: its Authorization header."""
    await sign_in(browser, email="ada@example.com", password="correct horse battery")
    form = {"username": "ada@example.com", "password": "correct horse battery"}
    token = (await client.post("/auth/token", data=form)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def set_cookies(response: httpx.Response) -> dict[str, Any]:
    """The cookies `response` sets, by name, with their attributes."""
    found: dict[str, Any] = {}
    for header in response.headers.get_list("set-cookie"):
        found.update(SimpleCookie(header))
    return found


def csrf_headers(token: str, origin: str = OWN) -> dict[str, str]:
    return {"X-CSRF-Token": token, "Origin": origin}


async def test_signing_in_sets_three_cookies_and_no_token_in_the_body(browser: httpx.AsyncClient) -> None:
    payload = UserCreatePayload()
    assert (await browser.post("/users/", json=payload)).status_code == 201
    form = {"username": payload["email"], "password": payload["password"]}
    started = await browser.post("/auth/session", data=form, headers={"Origin": OWN})

    assert started.status_code == 200
    body = started.json()
    assert set(body) == {"user", "csrf_token", "expires_in"}
    assert body["user"]["email"] == payload["email"]
    assert body["expires_in"] == 15 * 60
    cookies = set_cookies(started)
    assert set(cookies) == {"__Host-access", "__Host-refresh", "__Host-csrf"}
    for name, same_site, http_only in (
        ("__Host-access", "lax", True),
        ("__Host-refresh", "strict", True),
        ("__Host-csrf", "strict", False),
    ):
        cookie = cookies[name]
        assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", ""), name
        assert cookie["samesite"] == same_site, name
        assert bool(cookie["httponly"]) is http_only, name
        assert cookie.value not in started.text or name == "__Host-csrf"
    assert cookies["__Host-csrf"].value == body["csrf_token"]
    assert (started.headers["cache-control"], started.headers["pragma"]) == ("no-store", "no-cache")


async def test_a_cookie_authenticates_reads_without_csrf_and_answers_are_not_cached(
    browser: httpx.AsyncClient,
) -> None:
    body = await sign_in(browser)
    me = await browser.get("/users/me")

    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]
    assert me.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("headers", "with_token"),
    [
        pytest.param({"Origin": OWN}, False, id="no X-CSRF-Token"),
        pytest.param({"Origin": OWN, "X-CSRF-Token": "not-the-token"}, False, id="a wrong token"),
        pytest.param({}, True, id="no Origin"),
        pytest.param({"Origin": OTHER_ORIGIN}, True, id="an unlisted origin"),
        pytest.param({"Origin": "null"}, True, id="an opaque origin"),
        pytest.param({"Origin": OWN, "Sec-Fetch-Site": "cross-site"}, True, id="cross-site, unlisted"),
    ],
)
async def test_an_unsafe_cookie_request_failing_the_csrf_check_is_a_403_that_writes_nothing(
    browser: httpx.AsyncClient, headers: dict[str, str], with_token: bool
) -> None:
    body = await sign_in(browser)
    sent = ({"X-CSRF-Token": body["csrf_token"]} if with_token else {}) | headers

    refused = await browser.post("/posts/", json=POST, headers=sent)

    assert assert_problem(refused, 403)["type"] == CSRF
    assert (await browser.get("/posts/")).json() == []
    renamed = await browser.patch("/users/me", json={"name": "Mallory"}, headers=sent)
    assert assert_problem(renamed, 403)["type"] == CSRF
    assert (await browser.get("/users/me")).json()["name"] == body["user"]["name"]


async def test_the_session_token_from_its_own_or_a_listed_origin_writes(browser: httpx.AsyncClient) -> None:
    body = await sign_in(browser)

    own = await browser.post("/posts/", json=POST, headers=csrf_headers(body["csrf_token"]))
    same_site = await browser.post(
        "/posts/", json=POST, headers=csrf_headers(body["csrf_token"]) | {"Sec-Fetch-Site": "same-origin"}
    )
    listed = await browser.post(
        "/posts/",
        json=POST,
        headers=csrf_headers(body["csrf_token"], APP_ORIGIN) | {"Sec-Fetch-Site": "cross-site"},
    )

    assert [own.status_code, same_site.status_code, listed.status_code] == [201, 201, 201]
    assert {post["author_id"] for post in (await browser.get("/posts/")).json()} == {body["user"]["id"]}


async def test_a_csrf_token_of_another_session_is_refused(app: FastAPI, browser: httpx.AsyncClient) -> None:
    mine = await sign_in(browser, email="ada@example.com")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=OWN) as other:
        theirs = await sign_in(other, email="eve@example.com")
    assert theirs["csrf_token"] != mine["csrf_token"]

    refused = await browser.post("/posts/", json=POST, headers=csrf_headers(theirs["csrf_token"]))

    assert assert_problem(refused, 403)["type"] == CSRF


async def test_bearer_requests_need_no_csrf_token_even_beside_cookies(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    bearer = await signed_in_both_ways(client, browser)

    alone = await client.post("/posts/", json=POST, headers=bearer)
    beside_cookies = await browser.post("/posts/", json=POST, headers=bearer)  # the bearer token decides

    assert (alone.status_code, beside_cookies.status_code) == (201, 201)
    assert "set-cookie" not in alone.headers


async def test_signing_in_answers_the_token_endpoints_errors_and_shares_its_limits(
    container: Container, browser: httpx.AsyncClient
) -> None:
    container.settings.override(settings(limit_login_per_account="2/15 minutes"))
    payload = UserCreatePayload(email="ada@example.com")
    assert (await browser.post("/users/", json=payload)).status_code == 201
    wrong = {"username": "ada@example.com", "password": "not the password"}
    headers = {"Origin": OWN}

    refused = await browser.post("/auth/session", data=wrong, headers=headers)
    body = assert_oauth_problem(refused, "invalid_grant")
    assert body["type"] == "urn:users-posts:problem:invalid-credentials"
    assert "set-cookie" not in refused.headers
    assert (await browser.post("/auth/token", data=wrong)).status_code == 400
    right = {"username": "ada@example.com", "password": payload["password"]}
    throttled = await browser.post("/auth/session", data=right, headers=headers)
    assert_oauth_problem(throttled, "temporarily_unavailable", 429)
    missing = await browser.post("/auth/session", data={"username": "ada@example.com"}, headers=headers)
    assert_oauth_problem(missing, "invalid_request")


async def test_signing_in_from_an_unlisted_origin_is_refused_and_starts_nothing(
    browser: httpx.AsyncClient, store: MemoryStore
) -> None:
    payload = UserCreatePayload()
    assert (await browser.post("/users/", json=payload)).status_code == 201
    form = {"username": payload["email"], "password": payload["password"]}

    for headers in ({"Origin": OTHER_ORIGIN}, {}, {"Origin": OWN, "Sec-Fetch-Site": "cross-site"}):
        refused = await browser.post("/auth/session", data=form, headers=headers)
        body = assert_oauth_problem(refused, "invalid_request", 403)
        assert body["type"] == CSRF
        assert "set-cookie" not in refused.headers
    assert not store.sessions
    listed = await browser.post("/auth/session", data=form, headers={"Origin": APP_ORIGIN})
    assert listed.status_code == 200


async def test_refresh_rotates_the_refresh_cookie_and_needs_the_csrf_token(
    browser: httpx.AsyncClient, clock: FixedClock
) -> None:
    body = await sign_in(browser)
    first = browser.cookies["__Host-refresh"]

    refused = await browser.post("/auth/session/refresh", headers={"Origin": OWN})
    assert assert_problem(refused, 403)["type"] == CSRF
    assert browser.cookies["__Host-refresh"] == first  # nothing changed: the same cookie still works

    refreshed = await browser.post("/auth/session/refresh", headers=csrf_headers(body["csrf_token"]))
    assert refreshed.status_code == 200
    assert refreshed.json()["csrf_token"] == body["csrf_token"]  # the session's, for its whole life
    assert set(set_cookies(refreshed)) == {"__Host-access", "__Host-refresh", "__Host-csrf"}
    assert browser.cookies["__Host-refresh"] != first
    assert (await browser.get("/users/me")).status_code == 200

    clock.advance(minutes=1)  # past the reuse grace: the rotated cookie again is theft
    stolen = await browser.post(
        "/auth/session/refresh",
        headers=csrf_headers(body["csrf_token"]) | {"Cookie": f"__Host-refresh={first}"},
    )
    assert_problem(stolen, 400)
    assert (await browser.get("/users/me")).status_code == 401  # the whole session ended


async def test_refresh_without_a_refresh_cookie_is_an_invalid_grant(browser: httpx.AsyncClient) -> None:
    refused = await browser.post("/auth/session/refresh", headers={"Origin": OWN, "X-CSRF-Token": "x"})
    assert assert_problem(refused, 400)["type"] == "urn:users-posts:problem:invalid-grant"


async def test_signing_out_needs_the_csrf_token_then_ends_the_session_and_clears_the_cookies(
    browser: httpx.AsyncClient,
) -> None:
    body = await sign_in(browser)
    access = browser.cookies["__Host-access"]

    refused = await browser.delete("/auth/session", headers={"Origin": OWN, "X-CSRF-Token": "wrong"})
    assert assert_oauth_problem(refused, "invalid_request", 403)["type"] == CSRF
    assert (await browser.get("/users/me")).status_code == 200

    ended = await browser.delete("/auth/session", headers=csrf_headers(body["csrf_token"]))
    assert ended.status_code == 204
    cleared = set_cookies(ended)
    assert {name: cookie["max-age"] for name, cookie in cleared.items()} == {
        "__Host-access": "0",
        "__Host-refresh": "0",
        "__Host-csrf": "0",
    }
    assert not browser.cookies
    after = await browser.get("/users/me", headers={"Cookie": f"__Host-access={access}"})
    assert_problem(after, 401)


async def test_ending_the_session_elsewhere_ends_the_cookie_session(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    bearer = await signed_in_both_ways(client, browser)
    sessions = (await client.get("/users/me/sessions", headers=bearer)).json()
    (cookie_session,) = [session for session in sessions if not session["current"]]

    assert (
        await client.delete(f"/users/me/sessions/{cookie_session['id']}", headers=bearer)
    ).status_code == 204

    assert_problem(await browser.get("/users/me"), 401)
    assert_problem(await browser.post("/auth/session/refresh", headers={"Origin": OWN}), 400)


async def test_without_secure_cookies_they_lose_the_host_prefix(container: Container) -> None:
    container.settings.override(settings(cookie_secure=False))
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://dev.internal:8000") as client:
        body = await sign_in(client, origin="http://dev.internal:8000")
        cookies = set_cookies(
            await client.post(
                "/auth/session/refresh", headers=csrf_headers(body["csrf_token"], "http://dev.internal:8000")
            )
        )
        me = await client.get("/users/me")

    assert set(cookies) == {"access", "refresh", "csrf"}
    assert not any(cookie["secure"] for cookie in cookies.values())
    assert me.status_code == 200
