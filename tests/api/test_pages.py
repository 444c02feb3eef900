"""The pages behind the mailed links (APP_FRONTEND_URL unset): the GET shows a form and never uses the
token, the form's POST does; clear errors; their own security headers; the token in no log and no link."""

import base64
import hashlib
import re
from typing import Any

import httpx
from dependency_injector import providers

from api.app import create_app
from api.browser.pages import STYLE
from infrastructure.container import Container
from infrastructure.memory import MemoryStore
from infrastructure.settings import Settings
from tests.api.conftest import Login
from tests.api.sql_apps import app_client
from tests.recovery import outbox, token_in

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
INVALID = "The link is invalid or has expired; ask for a new one"


def settings(**changes: Any) -> providers.Object[Settings]:
    base = {"limit_register_per_address": "1000/minute", "limit_posts_per_user": "1000/minute"}
    return providers.Object(Settings(**(base | changes)))


async def reset_token(client: httpx.AsyncClient, store: MemoryStore, email: str) -> str:
    assert (await client.post("/auth/password-reset", json={"email": email})).status_code == 202
    return token_in(outbox(store)[-1])


async def can_log_in(client: httpx.AsyncClient, email: str, password: str) -> bool:
    answer = await client.post("/auth/token", data={"username": email, "password": password})
    return answer.status_code == 200


def reset_form(token: str, password: str = NEW_PASSWORD, again: str | None = None) -> dict[str, str]:
    return {"token": token, "new_password": password, "new_password_again": again or password}


def alert(page: httpx.Response) -> str:
    found = re.search(r'<p id="problem" class="alert" role="alert">(.*?)</p>', page.text)
    assert found is not None, page.text
    return found.group(1)


def assert_page_headers(page: httpx.Response) -> None:
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    style = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    assert policy.startswith("default-src 'none'; ")
    assert f"style-src 'sha256-{style}'" in policy  # the one inline style, by its hash
    assert "form-action 'self'" in policy
    assert f"<style>{STYLE}</style>" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"


async def test_the_reset_page_shows_a_form_and_its_get_leaves_the_token_usable(
    client: httpx.AsyncClient, login: Login, store: MemoryStore
) -> None:
    await login(email="ada@example.com", password=PASSWORD)
    token = await reset_token(client, store, "ada@example.com")

    for _ in range(2):  # a link scanner, then the person
        page = await client.get(f"/reset-password?token={token}")
        assert page.status_code == 200
    assert_page_headers(page)
    assert '<label for="new-password">New password</label>' in page.text
    assert '<label for="password-again">New password, again</label>' in page.text
    assert '<form method="post" action="reset-password">' in page.text
    assert f'<input type="hidden" name="token" value="{token}">' in page.text
    assert token not in "".join(re.findall(r'href="([^"]*)"', page.text))  # in no outgoing link

    done = await client.post("/reset-password", data=reset_form(token))

    assert done.status_code == 200
    assert "Your password is changed" in done.text
    assert 'href="docs#/auth/auth-token"' in done.text  # a way to sign in
    assert_page_headers(done)
    assert not await can_log_in(client, "ada@example.com", PASSWORD)
    assert await can_log_in(client, "ada@example.com", NEW_PASSWORD)
    used = await client.post("/reset-password", data=reset_form(token, "yet another passphrase"))
    assert used.status_code == 400
    assert alert(used) == INVALID
    assert "<form" not in used.text


async def test_a_mistyped_or_weak_password_is_said_and_keeps_the_link(
    client: httpx.AsyncClient, login: Login, store: MemoryStore
) -> None:
    await login(email="ada@example.com", password=PASSWORD)
    token = await reset_token(client, store, "ada@example.com")

    differ = await client.post("/reset-password", data=reset_form(token, NEW_PASSWORD, NEW_PASSWORD + "!"))
    weak = await client.post("/reset-password", data=reset_form(token, "short"))

    assert (differ.status_code, weak.status_code) == (422, 422)
    assert alert(differ) == "The two passwords differ: type the same new password twice"
    assert alert(weak) == "password must be 8 to 128 characters"
    for page in (differ, weak):  # the form again, its fields marked and described by the error
        assert 'aria-describedby="password-rules problem" aria-invalid="true"' in page.text
        assert f'value="{token}"' in page.text
    assert await can_log_in(client, "ada@example.com", PASSWORD)
    assert (await client.post("/reset-password", data=reset_form(token))).status_code == 200


async def test_too_many_tries_are_a_429_page_with_retry_after(
    container: Container, client: httpx.AsyncClient
) -> None:
    container.settings.override(settings(limit_confirm_per_address="2/hour"))
    for _ in range(2):
        guessed = await client.post("/reset-password", data=reset_form("A" * 43))
        assert guessed.status_code == 400

    refused = await client.post("/reset-password", data=reset_form("A" * 43))
    refused_verify = await client.post("/verify-email", data={"token": "A" * 43})

    for page in (refused, refused_verify):
        assert page.status_code == 429
        assert int(page.headers["retry-after"]) > 0
        assert alert(page) == "Too many links tried from this address; try again later"


async def test_a_link_without_its_token_says_so(client: httpx.AsyncClient) -> None:
    for path in ("/reset-password", "/verify-email", "/reset-password?token="):
        page = await client.get(path)
        assert page.status_code == 400
        assert (
            alert(page) == "This link is incomplete: open the whole link from the mail, or ask for a new one"
        )
        assert_page_headers(page)


async def test_what_the_link_carries_is_escaped(client: httpx.AsyncClient) -> None:
    page = await client.get("/verify-email", params={"token": '"><script>alert(1)</script>'})

    assert "<script>" not in page.text
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page.text


async def test_the_verify_page_verifies_only_on_submit(
    client: httpx.AsyncClient, login: Login, store: MemoryStore
) -> None:
    _user, headers = await login(email="ada@example.com")
    token = token_in(outbox(store)[0])

    page = await client.get(f"/verify-email?token={token}")
    assert page.status_code == 200
    assert_page_headers(page)
    assert '<button type="submit">Confirm my email address</button>' in page.text
    assert (await client.get("/users/me", headers=headers)).json()["email_verified"] is False

    done = await client.post("/verify-email", data={"token": token})

    assert done.status_code == 200
    assert "Your email address is confirmed" in done.text
    assert (await client.get("/users/me", headers=headers)).json()["email_verified"] is True
    again = await client.post("/verify-email", data={"token": token})
    assert again.status_code == 400
    assert alert(again) == INVALID


async def test_with_a_frontend_the_service_serves_no_pages(container: Container) -> None:
    container.settings.override(settings(frontend_url="https://app.example.com"))
    async with app_client(create_app(container)) as client:
        for path in ("/reset-password?token=x", "/verify-email?token=x"):
            assert (await client.get(path)).status_code == 404
        assert (await client.post("/verify-email", data={"token": "x"})).status_code == 404


async def test_the_pages_are_not_in_the_openapi_document(spec: dict[str, Any]) -> None:
    assert not {"/reset-password", "/verify-email"} & set(spec["paths"])
