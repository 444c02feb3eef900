"""Issue 10's findings, tried again through the app: rate limits, busy hashing, private emails, one
mailbox per account, proof for sensitive changes, sign-out everywhere, headers, 422 bodies, links."""

from typing import Any

import httpx
import pytest
from dependency_injector import providers

from api.app import create_app
from application.errors import Overloaded
from infrastructure.container import Container
from infrastructure.memory import MemoryStore
from infrastructure.settings import Settings
from tests.api.problems import assert_problem
from tests.factories import UserCreatePayload

PASSWORD = "correct horse battery"  # UserCreatePayload's


@pytest.fixture
def strict_limits(container: Container) -> None:
    container.settings.override(
        providers.Object(
            Settings(
                limit_login_per_account="3/15 minutes",
                limit_login_per_address="5/15 minutes",
                limit_register_per_address="4/hour",
                limit_posts_per_user="2/minute",
            )
        )
    )


def assert_too_many(response: httpx.Response) -> dict[str, Any]:
    body = assert_problem(response, 429)
    assert body["type"].endswith("rate-limited")
    assert 1 <= int(response.headers["retry-after"]) <= 3600  # the longest window
    return body


async def test_failed_logins_per_account_get_a_429_even_for_the_right_password(
    strict_limits: None, client: httpx.AsyncClient, register
) -> None:
    await register(email="ada@example.com")
    wrong = {"username": "ada@example.com", "password": "guess"}
    for _ in range(3):
        assert (await client.post("/auth/token", data=wrong)).status_code == 400
    assert_too_many(await client.post("/auth/token", data=wrong))
    right = {"username": "ADA@example.com", "password": PASSWORD}
    assert_too_many(await client.post("/auth/token", data=right))


async def test_a_success_clears_the_accounts_failures(
    strict_limits: None, client: httpx.AsyncClient, register
) -> None:
    await register(email="ada@example.com")
    wrong = {"username": "ada@example.com", "password": "guess"}
    right = {"username": "ada@example.com", "password": PASSWORD}
    for _ in range(2):
        assert (await client.post("/auth/token", data=wrong)).status_code == 400
    assert (await client.post("/auth/token", data=right)).status_code == 200
    for _ in range(2):
        assert (await client.post("/auth/token", data=wrong)).status_code == 400
    assert (await client.post("/auth/token", data=right)).status_code == 200


async def test_failed_logins_per_address_are_limited_across_accounts(
    strict_limits: None, client: httpx.AsyncClient
) -> None:
    for n in range(5):
        form = {"username": f"user{n}@example.com", "password": "guess"}
        assert (await client.post("/auth/token", data=form)).status_code == 400
    assert_too_many(await client.post("/auth/token", data={"username": "x@example.com", "password": "y"}))


async def test_guessing_current_password_is_a_failed_login(strict_limits: None, client, login) -> None:
    _, auth = await login(email="ada@example.com")
    for _ in range(3):
        guess = {"password": "new password", "current_password": "guess"}
        assert_problem(await client.patch("/users/me", json=guess, headers=auth), 403)
    right = {"password": "new password", "current_password": PASSWORD}
    assert_too_many(await client.patch("/users/me", json=right, headers=auth))


async def test_registrations_and_posts_are_limited(
    strict_limits: None, client: httpx.AsyncClient, login, store: MemoryStore
) -> None:
    _, auth = await login()
    for _ in range(3):
        assert (await client.post("/users/", json=UserCreatePayload())).status_code == 201
    assert_too_many(await client.post("/users/", json=UserCreatePayload()))
    assert len(store.users) == 4

    for _ in range(2):
        assert (
            await client.post("/posts/", json={"title": "t", "content": "c"}, headers=auth)
        ).status_code == 201
    assert_too_many(await client.post("/posts/", json={"title": "t", "content": "c"}, headers=auth))
    assert len(store.posts) == 2


class BusyHasher:
    async def hash(self, password: str) -> str:
        raise Overloaded("The server is busy checking passwords; try again shortly", 1)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        raise Overloaded("The server is busy checking passwords; try again shortly", 1)


async def test_hashing_beyond_its_queue_is_a_503_with_retry_after(
    container: Container, client: httpx.AsyncClient, store: MemoryStore
) -> None:
    container.hasher.override(providers.Object(BusyHasher()))
    for response in [
        await client.post("/users/", json=UserCreatePayload()),
        await client.post("/auth/token", data={"username": "a@example.com", "password": "whatever"}),
    ]:
        body = assert_problem(response, 503)
        assert body["type"].endswith("overloaded")
        assert response.headers["retry-after"] == "1"
    assert store.users == {}


async def test_emails_are_shown_to_their_owner_only(client: httpx.AsyncClient, login) -> None:
    user, auth = await login(email="ada@example.com")
    await client.post("/posts/", json={"title": "t", "content": "c"}, headers=auth)
    assert user["email"] == "ada@example.com"  # the registration answer is the owner's
    assert (await client.get("/users/me", headers=auth)).json()["email"] == "ada@example.com"
    for path in ["/users/", f"/users/{user['id']}", "/posts/1", "/posts/", f"/users/{user['id']}/posts"]:
        response = await client.get(path)
        assert response.status_code == 200
        assert "ada@example.com" not in response.text
        assert "email" not in response.text
    assert set((await client.get(f"/users/{user['id']}")).json()) == {"id", "name", "created_at"}


async def test_the_openapi_schemas_say_which_views_hold_an_email(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]

    def response_schema(path: str, method: str) -> Any:
        return spec["paths"][path][method]["responses"]["200" if method != "post" else "201"]["content"][
            "application/json"
        ]["schema"]

    assert set(schemas["UserPublic"]["properties"]) == {"id", "name", "created_at"}
    assert "email" in schemas["UserRead"]["properties"]
    assert response_schema("/users/", "get")["items"]["$ref"].endswith("/UserPublic")
    assert response_schema("/users/{user_id}", "get")["$ref"].endswith("/UserPublic")
    assert response_schema("/users/", "post")["$ref"].endswith("/UserRead")
    assert response_schema("/users/me", "get")["$ref"].endswith("/UserRead")
    assert set(schemas["AuthorRead"]["properties"]) == {"id", "name", "created_at"}
    assert "expires_in" in schemas["Token"]["required"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("re\u0301my@example.fr", "r\u00e9my@example.fr"),  # decomposed, composed
        ("\uff43\uff41\uff52\uff4f\uff4c@example.com", "carol@example.com"),  # fullwidth
        ("ada@b\u00fccher.example", "ada@xn--bcher-kva.example"),  # Unicode domain, its punycode
        ("ada@example\uff0ecom", "ADA@EXAMPLE.COM"),  # a fullwidth dot
    ],
)
async def test_every_spelling_of_one_mailbox_is_one_account(
    client: httpx.AsyncClient, register, store: MemoryStore, first: str, second: str
) -> None:
    await register(email=first)
    assert_problem(await client.post("/users/", json=UserCreatePayload(email=second)), 409)
    assert len(store.users) == 1


@pytest.mark.parametrize(
    "name", ["evil\u202egnp.exe", "zero\u200bwidth", "\u200b", "\u3164", "\u2800\u2800", "\ufe0f\u034f"]
)
async def test_names_and_titles_refuse_format_controls_and_invisible_text(
    client: httpx.AsyncClient, login, store: MemoryStore, name: str
) -> None:
    _, auth = await login()
    body = assert_problem(await client.post("/users/", json=UserCreatePayload(name=name)), 422)
    assert body["errors"][0]["loc"] == ["body", "name"]
    assert_problem(await client.post("/posts/", json={"title": name, "content": "c"}, headers=auth), 422)
    assert len(store.users) == 1
    assert store.posts == {}


async def test_content_refuses_bidi_controls_but_keeps_emoji_sequences(client, login) -> None:
    _, auth = await login()
    refused = await client.post("/posts/", json={"title": "t", "content": "a\u202eb"}, headers=auth)
    assert_problem(refused, 422)
    kept = await client.post(
        "/posts/", json={"title": "t", "content": "\U0001f469\u200d\U0001f4bb"}, headers=auth
    )
    assert kept.status_code == 201


async def test_email_change_and_deletion_need_the_current_password(
    client: httpx.AsyncClient, login, store: MemoryStore
) -> None:
    user, auth = await login(email="ada@example.com")
    missing = await client.patch("/users/me", json={"email": "new@example.com"}, headers=auth)
    assert assert_problem(missing, 422)["errors"][0]["loc"] == ["body", "current_password"]
    wrong = {"email": "new@example.com", "current_password": "guess"}
    assert_problem(await client.patch("/users/me", json=wrong, headers=auth), 403)

    assert_problem(await client.delete("/users/me", headers=auth), 422)  # no body
    bad = await client.request("DELETE", "/users/me", json={"current_password": "guess"}, headers=auth)
    assert_problem(bad, 403, "The current password is incorrect")
    assert store.users[user["id"]].email.value == "ada@example.com"

    ok = await client.request("DELETE", "/users/me", json={"current_password": PASSWORD}, headers=auth)
    assert ok.status_code == 204
    assert store.users == {}


async def test_signing_out_everywhere_revokes_every_token(client: httpx.AsyncClient, login) -> None:
    user, auth = await login(email="ada@example.com")
    form = {"username": "ada@example.com", "password": PASSWORD}
    other = (await client.post("/auth/token", data=form)).json()["access_token"]

    response = await client.post("/users/me/sign-out", headers=auth)

    assert (response.status_code, response.content) == (204, b"")
    for token in (auth["Authorization"], f"Bearer {other}"):
        assert_problem(await client.get("/users/me", headers={"Authorization": token}), 401)
    fresh = (await client.post("/auth/token", data=form)).json()["access_token"]
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.json()["id"] == user["id"]


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "frame-ancestors 'none'",
}


async def test_every_answer_carries_the_security_headers_and_private_ones_no_store(
    client: httpx.AsyncClient, login
) -> None:
    _, auth = await login(email="ada@example.com")
    public = [await client.get("/users/"), await client.get("/users/999"), await client.get("/docs")]
    private = [
        await client.post("/auth/token", data={"username": "ada@example.com", "password": PASSWORD}),
        await client.post("/auth/token", data={"username": "ada@example.com", "password": "guess"}),
        await client.get("/users/me", headers=auth),
        await client.get("/users/", headers=auth),
        await client.get("/users/me", headers={"Authorization": "Bearer forged"}),
    ]
    for response in public + private:
        assert SECURITY_HEADERS.items() <= response.headers.items(), response.request.url
    assert all(r.headers.get("cache-control") == "no-store" for r in private)
    assert not any("cache-control" in r.headers for r in public)


async def test_a_422_lists_at_most_20_errors_and_never_echoes_the_input(client: httpx.AsyncClient) -> None:
    secret_key = "k" * 1000
    body = {**UserCreatePayload(), secret_key: "v", **{f"unknown-key-{n}": n for n in range(4_000)}}
    response = await client.post("/users/", json=body)
    problem = assert_problem(response, 422)
    assert len(problem["errors"]) <= 20
    assert "unknown-key" not in response.text
    assert secret_key not in response.text
    assert len(response.content) < 2_000

    many = await client.post("/users/", json=[{"name": n} for n in range(100)])
    assert len(assert_problem(many, 422)["errors"]) <= 20


async def test_the_link_header_ignores_the_host_and_unknown_parameters(
    client: httpx.AsyncClient, register
) -> None:
    for _ in range(3):
        await register()
    response = await client.get("/users/?limit=1&evil=%3Cscript%3E", headers={"Host": "evil.example"})
    assert response.headers["link"] == '</users/?limit=1&after=1>; rel="next"'
    posts = await client.get("/posts/?limit=1&author_id=1", headers={"Host": "evil.example"})
    assert "link" not in posts.headers  # no posts: no next page


async def test_the_link_header_is_absolute_under_the_public_url(container: Container, register) -> None:
    container.settings.override(
        providers.Object(Settings(public_url="https://api.example.com/", limit_register_per_address="9/hour"))
    )
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as client:
        for _ in range(2):
            assert (await client.post("/users/", json=UserCreatePayload())).status_code == 201
        response = await client.get("/users/?limit=1")
    assert response.headers["link"] == '<https://api.example.com/users/?limit=1&after=1>; rel="next"'


async def test_allowed_hosts_refuse_any_other_host(container: Container) -> None:
    container.settings.override(providers.Object(Settings(allowed_hosts="api.example.com")))
    app = create_app(container)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
        assert (await client.get("/health/live", headers={"Host": "api.example.com"})).status_code == 200
        refused = await client.get("/health/live", headers={"Host": "evil.example"})
    assert refused.status_code == 400
