from typing import Any

import httpx
import pytest

from domain.users import NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from infrastructure.memory import MemoryStore
from tests.api.problems import assert_problem
from tests.factories import UserCreatePayload, public_view


async def test_register_returns_the_user_without_any_password_field(client: httpx.AsyncClient) -> None:
    payload = UserCreatePayload(name="  Ada Lovelace ", email=" Ada@Example.COM")

    response = await client.post("/users/", json=payload)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "email", "email_verified", "created_at"}
    assert (body["name"], body["email"]) == ("Ada Lovelace", "ada@example.com")
    assert body["created_at"] == "2026-01-01T12:00:00Z"


async def test_register_list_get_and_unknown_id(client: httpx.AsyncClient, register) -> None:
    user = await register(name="Ada")

    listed = await client.get("/users/")
    assert listed.status_code == 200
    assert listed.json() == [public_view(user)]
    assert "email" not in listed.text
    assert "password" not in listed.text
    assert "hash" not in listed.text

    fetched = await client.get(f"/users/{user['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == public_view(user)

    assert_problem(await client.get("/users/999"), 404, "User not found")


async def test_email_taken_in_another_letter_case_is_a_409_and_adds_no_row(
    client: httpx.AsyncClient, register, store: MemoryStore
) -> None:
    await register(email="ada@example.com")

    response = await client.post("/users/", json=UserCreatePayload(email="ADA@Example.com"))

    body = assert_problem(response, 409, "A user with this email is already registered")
    assert "ada@example.com" not in body["detail"]
    assert len(store.users) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "ada@example.com", "password": "long enough"}, "name"),
        ({"name": "Ada", "password": "long enough"}, "email"),
        ({"name": "Ada", "email": "ada@example.com"}, "password"),
        ({**UserCreatePayload(), "is_admin": True}, "body"),  # an unknown key is never echoed
        ({**UserCreatePayload(), "password_hash": "x"}, "body"),
        (UserCreatePayload(name=42), "name"),
        (UserCreatePayload(name=None), "name"),
        (UserCreatePayload(email=["a@example.com"]), "email"),
        (UserCreatePayload(password=12345678), "password"),
        (UserCreatePayload(email="not-an-email"), "email"),
        (UserCreatePayload(email="ada@example"), "email"),
        (UserCreatePayload(email="a\x00da@example.com"), "email"),
        (UserCreatePayload(name=""), "name"),
        (UserCreatePayload(name="   "), "name"),
        (UserCreatePayload(name="x" * (NAME_MAX_LENGTH + 1)), "name"),
        (UserCreatePayload(name="Ada\x00"), "name"),
        (UserCreatePayload(password="p" * (PASSWORD_MIN_LENGTH - 1)), "password"),
        (UserCreatePayload(password="p" * (PASSWORD_MAX_LENGTH + 1)), "password"),
    ],
)
async def test_invalid_registrations_are_422_problems_and_store_nothing(
    client: httpx.AsyncClient, store: MemoryStore, payload: dict[str, Any], field: str
) -> None:
    body = assert_problem(await client.post("/users/", json=payload), 422)

    assert any(error["loc"][-1] == field for error in body["errors"]), body["errors"]
    assert all(set(error) == {"loc", "msg", "type"} for error in body["errors"])
    assert store.users == {}


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"[]",
        b'"text"',
        b'{"name": "Ada", "email": "a@example.com", "password": "\\ud800xxxxxxx"}',
    ],
)
async def test_malformed_bodies_are_422_problems(
    client: httpx.AsyncClient, store: MemoryStore, content
) -> None:
    response = await client.post("/users/", content=content, headers={"content-type": "application/json"})
    assert_problem(response, 422)
    assert store.users == {}


async def test_password_is_never_echoed_in_errors(client: httpx.AsyncClient) -> None:
    response = await client.post("/users/", json=UserCreatePayload(password="secret!"))
    assert "secret!" not in response.text


@pytest.mark.parametrize("user_id", ["abc", "1.5", "-1", "0", str(2**31), str(2**70)])
async def test_bad_user_ids_are_422_problems(client: httpx.AsyncClient, user_id: str) -> None:
    assert_problem(await client.get(f"/users/{user_id}"), 422)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "after=x", "after=-1", "after=1.5", f"after={2**40}"]
)
async def test_bad_page_parameters_are_422_problems(client: httpx.AsyncClient, query: str) -> None:
    assert_problem(await client.get(f"/users/?{query}"), 422)


async def test_pages_follow_the_link_header_to_the_end(client: httpx.AsyncClient, register) -> None:
    users = [await register() for _ in range(5)]

    seen: list[dict[str, Any]] = []
    url: str | None = "/users/?limit=2"
    while url:
        response = await client.get(url)
        assert response.status_code == 200
        seen.extend(response.json())
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else None
        if link:
            assert link.endswith('; rel="next"')

    assert seen == [public_view(user) for user in users]


async def test_default_page_size_is_50(client: httpx.AsyncClient, register) -> None:
    for _ in range(51):
        await register()
    response = await client.get("/users/")
    assert len(response.json()) == 50
    assert "after=50" in response.headers["link"]


async def test_both_slash_forms_work_without_redirect(client: httpx.AsyncClient) -> None:
    created = await client.post("/users", json=UserCreatePayload())
    assert created.status_code == 201
    listed = await client.get("/users")
    assert listed.status_code == 200
    assert listed.json() == [public_view(created.json())]
