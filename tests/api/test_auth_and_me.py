from typing import Any

import httpx
import jwt
import pytest

from infrastructure.memory import MemoryStore
from tests.api.problems import assert_oauth_problem, assert_problem
from tests.fakes import FixedClock


def assert_unauthorized(response: httpx.Response) -> dict[str, Any]:
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


async def test_login_returns_a_bearer_token_that_opens_users_me(client: httpx.AsyncClient, register) -> None:
    user = await register(email="ada@example.com", password="correct horse")

    response = await client.post(
        "/auth/token", data={"username": "ADA@example.com", "password": "correct horse"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == user


@pytest.mark.parametrize(
    "form",
    [
        {"username": "ada@example.com", "password": "wrong password"},
        {"username": "nobody@example.com", "password": "correct horse"},
    ],
)
async def test_wrong_email_and_wrong_password_get_the_same_invalid_grant(
    client: httpx.AsyncClient, register, form
) -> None:
    await register(email="ada@example.com", password="correct horse")
    body = assert_oauth_problem(
        await client.post("/auth/token", data=form), "invalid_grant", detail="Incorrect email or password"
    )
    assert body["type"] == "urn:users-posts:problem:invalid-credentials"  # the type of every bad login
    assert body["error_description"] == "Incorrect email or password"


async def test_login_form_with_missing_fields_is_invalid_request(client: httpx.AsyncClient) -> None:
    missing = assert_oauth_problem(
        await client.post("/auth/token", data={"username": "a@example.com"}), "invalid_request"
    )
    assert missing["type"] == "urn:users-posts:problem:validation-error"
    assert missing["errors"] == [
        {
            "loc": ["body", "password"],
            "msg": "password is required for the password grant",
            "type": "value_error",
        }
    ]
    assert missing["error_description"] == "password: password is required for the password grant"
    not_a_form = await client.post("/auth/token", json={"username": "a", "password": "b"})
    assert_oauth_problem(not_a_form, "invalid_request")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer not-a-jwt",
        "Basic YWRhOnBhc3N3b3Jk",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
    ],
)
async def test_missing_or_malformed_tokens_are_401(client: httpx.AsyncClient, authorization) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    assert_unauthorized(await client.get("/users/me", headers=headers))


async def test_expired_and_foreign_tokens_are_401(
    client: httpx.AsyncClient, login, clock: FixedClock
) -> None:
    _, auth = await login()
    token = auth["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})  # what a client can read
    foreign = jwt.encode(claims, "another key of sufficient length, 32+", algorithm="HS256")
    assert_unauthorized(await client.get("/users/me", headers={"Authorization": f"Bearer {foreign}"}))

    assert (await client.get("/users/me", headers=auth)).status_code == 200
    clock.advance(minutes=15, seconds=10)  # the default lifetime, and the leeway
    assert_unauthorized(await client.get("/users/me", headers=auth))


async def test_token_of_a_deleted_user_is_401(client: httpx.AsyncClient, login) -> None:
    _, auth = await login()
    deleted = await client.request(
        "DELETE", "/users/me", json={"current_password": "correct horse battery"}, headers=auth
    )
    assert deleted.status_code == 204
    assert_unauthorized(await client.get("/users/me", headers=auth))


async def test_patch_me_changes_name_and_email(client: httpx.AsyncClient, login) -> None:
    user, auth = await login(name="Ada")
    response = await client.patch(
        "/users/me",
        json={"name": " Ada L ", "email": "AL@Example.org", "current_password": "correct horse battery"},
        headers=auth,
    )
    assert response.status_code == 200
    assert response.json() == {**user, "name": "Ada L", "email": "al@example.org"}
    assert (await client.get("/users/me", headers=auth)).json() == response.json()


async def test_patch_me_to_another_users_email_is_409(client: httpx.AsyncClient, login, register) -> None:
    await register(email="bob@example.com")
    user, auth = await login()
    change = {"email": "BOB@example.com", "current_password": "correct horse battery"}
    assert_problem(await client.patch("/users/me", json=change, headers=auth), 409)
    assert (await client.get("/users/me", headers=auth)).json() == user


async def test_password_change_needs_the_current_password(client: httpx.AsyncClient, login) -> None:
    _user, auth = await login(email="ada@example.com", password="old password")

    missing = await client.patch("/users/me", json={"password": "new password"}, headers=auth)
    assert_problem(missing, 422)
    wrong = await client.patch(
        "/users/me", json={"password": "new password", "current_password": "not it"}, headers=auth
    )
    assert_problem(wrong, 403, "The current password is incorrect")
    ok = await client.patch(
        "/users/me", json={"password": "new password", "current_password": "old password"}, headers=auth
    )
    assert ok.status_code == 200

    assert_unauthorized(await client.get("/users/me", headers=auth))  # tokens of the old password die
    old = await client.post("/auth/token", data={"username": "ada@example.com", "password": "old password"})
    new = await client.post("/auth/token", data={"username": "ada@example.com", "password": "new password"})
    assert (old.status_code, new.status_code) == (400, 200)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"email": "nope"},
        {"password": "short", "current_password": "x" * 8},
        {"is_admin": True},
        {"id": 5},
        {"password_hash": "x"},
    ],
)
async def test_bad_profile_changes_are_422_and_change_nothing(client: httpx.AsyncClient, login, body) -> None:
    user, auth = await login()
    assert_problem(await client.patch("/users/me", json=body, headers=auth), 422)
    assert (await client.get("/users/me", headers=auth)).json() == user


async def test_me_routes_need_a_token(client: httpx.AsyncClient) -> None:
    assert_unauthorized(await client.patch("/users/me", json={"name": "x"}))
    assert_unauthorized(await client.delete("/users/me"))


async def test_delete_me_removes_the_user_and_their_posts(
    client: httpx.AsyncClient, login, store: MemoryStore
) -> None:
    ada, ada_auth = await login()
    _bob, bob_auth = await login()
    await client.post("/posts/", json={"title": "Ada's", "content": "x"}, headers=ada_auth)
    kept = (await client.post("/posts/", json={"title": "Bob's", "content": "x"}, headers=bob_auth)).json()

    response = await client.request(
        "DELETE", "/users/me", json={"current_password": "correct horse battery"}, headers=ada_auth
    )

    assert (response.status_code, response.content) == (204, b"")
    assert_problem(await client.get(f"/users/{ada['id']}"), 404, "User not found")
    assert (await client.get("/posts/")).json() == [kept]


async def test_docs_authorize_uses_the_password_flow_of_auth_token(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    (scheme,) = spec["components"]["securitySchemes"].values()
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == "/auth/token"
    assert spec["paths"]["/posts/"]["post"]["security"] == [{"OAuth2PasswordBearer": []}]
