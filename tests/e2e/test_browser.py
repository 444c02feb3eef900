"""Cookie sessions and the pages behind the mailed links in a real browser: headless Chromium (Debian's),
the API served by `users-posts serve` on one localhost port and a browser app on another (the same
site), mail through an SMTP sink."""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.browsers import chromium, static_site
from tests.e2e.servers import Server, served, server_env, sqlite_copy
from throwaway.processes import free_port
from throwaway.smtp import SmtpServer, smtp_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
MAIL_WITHIN_SECONDS = 30
CSRF = "urn:users-posts:problem:csrf"

# The browser app: it calls the API with the session's cookies (credentials: "include"), and sends the
# CSRF token when told to.
APP_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>App</title><script>
const API = "%(api)s";
async function call(method, path, options = {}) {
  const headers = {};
  let body;
  if (options.csrf) headers["X-CSRF-Token"] = options.csrf;
  if (options.form) body = new URLSearchParams(options.form);
  if (options.json) { headers["Content-Type"] = "application/json"; body = JSON.stringify(options.json); }
  const answer = await fetch(API + path, {method, headers, body, credentials: "include"});
  const text = await answer.text();
  return {status: answer.status, body: text ? JSON.parse(text) : null};
}
</script></head><body><h1>A browser app</h1></body></html>"""

# A page of another origin, not listed: a form posting JSON-looking text to the API (no script needed),
# and a script trying the same with the CSRF token it can read on localhost (cookies ignore ports).
FORGERY_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Win a prize</title><script>
async function forge() {
  const csrf = (document.cookie.match(/__Host-csrf=([^;]+)/) || [])[1] || "";
  try {
    const answer = await fetch("%(api)s/posts/", {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({title: "forged by script", content: "x"})});
    return "answered " + answer.status;
  } catch (error) {
    return "blocked: " + error.name;
  }
}
</script></head><body>
<form method="post" action="%(api)s/posts/" enctype="text/plain">
<input type="hidden" name='{"title": "forged by a form", "content": "x", "pad": "' value='"}'>
<button type="submit">Claim the prize</button></form></body></html>"""


@dataclass
class Site:
    api: str  # http://localhost:port of the served API
    app: str  # the browser app's origin, listed in APP_CORS_ORIGINS
    same_site_forger: str  # another localhost port: the same site, not listed
    cross_site_forger: str  # 127.0.0.1: another site
    server: Server
    smtp: SmtpServer
    browser: "Browser"


@pytest.fixture(scope="module")
def site(migrated_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("browser")
    api_port, app_port, forger_port = free_port(), free_port(), free_port()
    api = f"http://localhost:{api_port}"
    with chromium() as browser, smtp_server() as smtp:
        env = server_env(
            sqlite_copy(migrated_sqlite_template, directory),
            APP_PUBLIC_URL=api,  # the mailed links lead to the API's own pages
            APP_CORS_ORIGINS=f"http://localhost:{app_port}",
            APP_SMTP_HOST="127.0.0.1",
            APP_SMTP_PORT=str(smtp.port),
            APP_SMTP_SECURITY="none",
            APP_MAIL_FROM="no-reply@mail.example",
        )
        with (
            served(env, directory / "server.log", port=api_port) as server,
            static_site(app_port, APP_PAGE % {"api": api}) as app,
            static_site(forger_port, FORGERY_PAGE % {"api": api}) as forger,
        ):
            cross_site = forger.replace("localhost", "127.0.0.1")
            yield Site(api, app, forger, cross_site, server, smtp, browser)


@pytest.fixture
def context(site: Site) -> Iterator["BrowserContext"]:
    """A fresh browser profile: no cookie of another test."""
    context = site.browser.new_context()
    try:
        yield context
    finally:
        context.close()


def register(site: Site, email: str) -> None:
    user = {"name": "Ada", "email": email, "password": PASSWORD}
    assert httpx.post(site.api + "/users/", json=user).status_code == 201


def bearer_me(site: Site, email: str, password: str = PASSWORD) -> dict[str, Any]:
    grant = httpx.post(site.api + "/auth/token", data={"username": email, "password": password})
    assert grant.status_code == 200, grant.text
    me = httpx.get(
        site.api + "/users/me", headers={"Authorization": f"Bearer {grant.json()['access_token']}"}
    )
    found: dict[str, Any] = me.json()
    return found


def call(page: "Page", method: str, path: str, **options: Any) -> dict[str, Any]:
    answer: dict[str, Any] = page.evaluate("([m, p, o]) => call(m, p, o)", [method, path, options])
    return answer


def signed_in_app(site: Site, context: "BrowserContext", email: str) -> tuple["Page", str]:
    """The browser app, signed in as a new user; and the session's CSRF token."""
    register(site, email)
    page = context.new_page()
    page.goto(site.app)
    started = call(page, "POST", "/auth/session", form={"username": email, "password": PASSWORD})
    assert started["status"] == 200, started
    assert set(started["body"]) == {"user", "csrf_token", "expires_in"}
    return page, started["body"]["csrf_token"]


def cookies(context: "BrowserContext") -> dict[str, Any]:
    return {cookie["name"]: cookie for cookie in context.cookies()}


def titles(site: Site) -> list[str]:
    return [post["title"] for post in httpx.get(site.api + "/posts/").json()]


def mail_to(site: Site, address: str, subject: str) -> Message:
    deadline = time.monotonic() + MAIL_WITHIN_SECONDS
    while time.monotonic() < deadline:
        for message in list(site.smtp.handler.messages):
            if message["To"] == address and message["Subject"].endswith(subject):
                return message
        time.sleep(0.05)  # polling the SMTP sink, fed by the server's delivery loop, with a deadline
    raise AssertionError(f"no mail {subject!r} to {address} within {MAIL_WITHIN_SECONDS} s")


def link_in(message: Message, path: str) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(rf"http://\S+{path}\?token=\S+", body.decode())
    assert found is not None, body
    return found.group(0)


def test_a_browser_app_signs_in_with_cookies_its_scripts_cannot_read(
    site: Site, context: "BrowserContext"
) -> None:
    page, csrf = signed_in_app(site, context, "ada@example.com")

    me = call(page, "GET", "/users/me")
    assert (me["status"], me["body"]["email"]) == (200, "ada@example.com")
    readable = page.evaluate("document.cookie")
    assert f"__Host-csrf={csrf}" in readable
    assert "__Host-access" not in readable
    assert "__Host-refresh" not in readable
    stored = cookies(context)
    assert stored["__Host-access"]["httpOnly"]
    assert stored["__Host-refresh"]["httpOnly"]
    assert (stored["__Host-access"]["sameSite"], stored["__Host-refresh"]["sameSite"]) == ("Lax", "Strict")


def test_a_post_needs_the_csrf_token(site: Site, context: "BrowserContext") -> None:
    page, csrf = signed_in_app(site, context, "grace@example.com")

    refused = call(page, "POST", "/posts/", json={"title": "without the token", "content": "x"})
    written = call(page, "POST", "/posts/", json={"title": "with the token", "content": "x"}, csrf=csrf)

    assert (refused["status"], refused["body"]["type"]) == (403, CSRF)
    assert written["status"] == 201
    assert "without the token" not in titles(site)
    assert "with the token" in titles(site)


def test_another_unlisted_origin_cannot_post_with_the_session(site: Site, context: "BrowserContext") -> None:
    app, _csrf = signed_in_app(site, context, "mallory-target@example.com")
    forger = context.new_page()

    forger.goto(site.same_site_forger)
    script = forger.evaluate("forge()")
    with forger.expect_response(site.api + "/posts/") as same_site:
        forger.get_by_role("button", name="Claim the prize").click()
    same_site_problem = same_site.value.json()
    forger.goto(site.cross_site_forger)
    with forger.expect_response(site.api + "/posts/") as cross_site:
        forger.get_by_role("button", name="Claim the prize").click()

    # The script's preflight is refused (an unlisted origin may not send X-CSRF-Token); the same-site
    # form carries the cookies and fails the CSRF check; across sites the Lax cookie is not even sent.
    assert script == "blocked: TypeError"
    assert same_site.value.status == 403
    assert same_site_problem["type"] == CSRF
    assert cross_site.value.status == 401
    assert not [title for title in titles(site) if title.startswith("forged")]
    assert call(app, "GET", "/users/me")["status"] == 200  # the session itself is untouched


def test_refresh_rotates_and_sign_out_ends_the_session(site: Site, context: "BrowserContext") -> None:
    page, csrf = signed_in_app(site, context, "katherine@example.com")
    first = cookies(context)["__Host-refresh"]["value"]

    refreshed = call(page, "POST", "/auth/session/refresh", csrf=csrf)
    assert refreshed["status"] == 200
    assert cookies(context)["__Host-refresh"]["value"] != first
    assert call(page, "GET", "/users/me")["status"] == 200

    assert call(page, "DELETE", "/auth/session", csrf=csrf)["status"] == 204
    assert call(page, "GET", "/users/me")["status"] == 401
    assert cookies(context) == {}


def test_the_reset_page_completes_a_reset_from_a_mailed_link(site: Site, context: "BrowserContext") -> None:
    register(site, "margaret@example.com")
    asked = httpx.post(site.api + "/auth/password-reset", json={"email": "margaret@example.com"})
    assert asked.status_code == 202
    link = link_in(mail_to(site, "margaret@example.com", "reset your password"), "/reset-password")
    page = context.new_page()
    violations: list[str] = []

    def note_violation(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", note_violation)

    page.goto(link)
    assert page.evaluate("getComputedStyle(document.querySelector('main')).backgroundColor") == (
        "rgb(255, 255, 255)"  # the style ran: its hash is in the page's Content-Security-Policy
    )
    focused = [page.evaluate("document.activeElement.id")]
    for _ in range(2):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert focused == ["new-password", "password-again", "BUTTON"]
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password, again").fill(NEW_PASSWORD + " typo")
    page.get_by_role("button", name="Set the new password").click()
    assert "differ" in page.get_by_role("alert").inner_text()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password, again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    assert page.get_by_role("heading").inner_text() == "Your password is changed"
    assert "token=" not in page.url  # the address no longer holds the token
    assert violations == []
    old = httpx.post(
        site.api + "/auth/token", data={"username": "margaret@example.com", "password": PASSWORD}
    )
    assert old.status_code == 400
    assert bearer_me(site, "margaret@example.com", NEW_PASSWORD)["email"] == "margaret@example.com"


def test_the_verify_page_verifies_only_on_submit(site: Site, context: "BrowserContext") -> None:
    register(site, "dorothy@example.com")
    link = link_in(mail_to(site, "dorothy@example.com", "confirm your email address"), "/verify-email")
    page = context.new_page()

    page.goto(link)
    page.reload()  # opened twice, as a prefetcher and then the person would
    assert bearer_me(site, "dorothy@example.com")["email_verified"] is False
    page.get_by_role("button", name="Confirm my email address").click()

    assert page.get_by_role("heading").inner_text() == "Your email address is confirmed"
    assert bearer_me(site, "dorothy@example.com")["email_verified"] is True
