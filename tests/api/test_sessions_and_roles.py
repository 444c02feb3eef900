"""Sessions and roles over HTTP (in-memory storage, fixed clock): the refresh grant and its rotation,
reuse detection, revocation, the caller's sessions, moderators deleting posts, suspension, the admin
routes and their audit rows."""

from typing import Any

import httpx
import pytest

from domain.roles import Role
from domain.users import User
from infrastructure.memory import MemoryStore
from tests.api.problems import assert_oauth_problem, assert_problem
from tests.factories import PostCreatePayload, UserCreatePayload
from tests.fakes import FixedClock

PASSWORD = "correct horse battery"


class People:
    """Registered users of the app, signed in, with their tokens."""

    def __init__(self, client: httpx.AsyncClient, store: MemoryStore) -> None:
        self.client = client
        self.store = store

    async def sign_up(self, email: str, role: Role = Role.MEMBER) -> dict[str, Any]:
        response = await self.client.post("/users/", json=UserCreatePayload(email=email, password=PASSWORD))
        user: dict[str, Any] = response.json()
        self.store.users[user["id"]].role = role
        return user

    async def sign_in(self, email: str, **headers: str) -> dict[str, Any]:
        response = await self.client.post(
            "/auth/token", data={"username": email, "password": PASSWORD}, headers=headers
        )
        assert response.status_code == 200, response.text
        grant: dict[str, Any] = response.json()
        return grant

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.client.post(
            "/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
        )


def bearer(grant: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {grant['access_token']}"}


def assert_invalid_grant(response: httpx.Response, detail: str | None = None) -> None:
    body = assert_oauth_problem(response, "invalid_grant", detail=detail)
    assert body["type"] == "urn:users-posts:problem:invalid-grant"


@pytest.fixture
def people(client: httpx.AsyncClient, store: MemoryStore) -> People:
    return People(client, store)


async def test_login_answers_a_refresh_token_that_rotates(client: httpx.AsyncClient, people: People) -> None:
    await people.sign_up("ada@example.com")
    grant = await people.sign_in("ada@example.com")
    assert grant.keys() == {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert (grant["expires_in"], grant["refresh_expires_in"]) == (15 * 60, 7 * 24 * 3600)

    refreshed = await people.refresh(grant["refresh_token"])

    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.headers["cache-control"] == "no-store"
    new = refreshed.json()
    assert new["refresh_token"] != grant["refresh_token"]
    assert (await client.get("/users/me", headers=bearer(new))).status_code == 200
    assert_invalid_grant(await people.refresh(grant["refresh_token"]))  # the old one stopped working
    assert (await people.refresh(new["refresh_token"])).status_code == 200  # the session lives on


async def test_a_replayed_refresh_token_ends_the_whole_session_and_is_audited(
    client: httpx.AsyncClient, people: People, clock: FixedClock
) -> None:
    await people.sign_up("root@example.com", Role.ADMIN)
    await people.sign_up("ada@example.com")
    victim = await people.sign_in("ada@example.com")
    other_device = await people.sign_in("ada@example.com")
    attacker = (await people.refresh(victim["refresh_token"])).json()  # the thief got there first
    clock.advance(seconds=11)  # past the grace of a concurrent refresh

    replay = await client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": victim["refresh_token"]},
        headers={"X-Request-ID": "replay-1"},
    )

    assert_invalid_grant(replay, "The refresh token was already used; its session is ended")
    assert_invalid_grant(await people.refresh(attacker["refresh_token"]))
    assert_problem(await client.get("/users/me", headers=bearer(attacker)), 401)
    assert (await client.get("/users/me", headers=bearer(other_device))).status_code == 200
    admin = await people.sign_in("root@example.com")
    (entry,) = (await client.get("/admin/audit", headers=bearer(admin))).json()
    assert (entry["action"], entry["actor_id"], entry["request_id"]) == (
        "session.refresh_token_reused",
        None,
        "replay-1",
    )


@pytest.mark.parametrize(
    "refresh_token",
    ["", "x", "not a token", "é" * 30, "A" * 128, "A" * 129, "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"],
)
async def test_malformed_or_unknown_refresh_tokens_are_invalid_grant_and_change_nothing(
    client: httpx.AsyncClient, people: People, store: MemoryStore, refresh_token: str
) -> None:
    await people.sign_up("ada@example.com")
    grant = await people.sign_in("ada@example.com")
    sessions = dict(store.sessions)

    response = await people.refresh(refresh_token)

    if len(refresh_token) > 128 or not refresh_token:  # longer than the documented maximum, or missing
        assert_oauth_problem(response, "invalid_request")
    else:
        assert_invalid_grant(response)
    assert store.sessions == sessions
    assert (await people.refresh(grant["refresh_token"])).status_code == 200


async def test_refresh_tokens_of_expired_or_revoked_sessions_are_invalid_grant(
    client: httpx.AsyncClient, people: People, clock: FixedClock
) -> None:
    await people.sign_up("ada@example.com")
    expired, revoked = await people.sign_in("ada@example.com"), await people.sign_in("ada@example.com")
    await client.post("/auth/revoke", data={"token": revoked["refresh_token"]})
    assert_invalid_grant(await people.refresh(revoked["refresh_token"]))
    clock.advance(days=7)
    assert_invalid_grant(await people.refresh(expired["refresh_token"]))


async def test_the_token_form_needs_what_its_grant_needs(client: httpx.AsyncClient) -> None:
    for form in (
        {"grant_type": "refresh_token"},
        {"grant_type": "password", "username": "ada@example.com"},
    ):
        assert_oauth_problem(await client.post("/auth/token", data=form), "invalid_request")


async def test_revocation_answers_200_and_ends_the_session_at_once(
    client: httpx.AsyncClient, people: People
) -> None:
    await people.sign_up("ada@example.com")
    by_refresh, by_access = await people.sign_in("ada@example.com"), await people.sign_in("ada@example.com")

    for token in (
        by_refresh["refresh_token"],
        by_access["access_token"],
        "unknown",
        by_refresh["refresh_token"],
    ):
        response = await client.post(
            "/auth/revoke", data={"token": token, "token_type_hint": "refresh_token"}
        )
        assert (response.status_code, response.content) == (200, b"")

    for grant in (by_refresh, by_access):
        assert_invalid_grant(await people.refresh(grant["refresh_token"]))
        assert_problem(await client.get("/users/me", headers=bearer(grant)), 401)
    assert_oauth_problem(await client.post("/auth/revoke", data={}), "invalid_request")


async def test_my_sessions_are_listed_without_token_material_and_ended_one_by_one(
    client: httpx.AsyncClient, people: People, clock: FixedClock
) -> None:
    await people.sign_up("ada@example.com")
    await people.sign_up("bob@example.com")
    phone = await people.sign_in("ada@example.com", **{"User-Agent": "Phone/1.0"})
    clock.advance(seconds=1)  # listed oldest first
    laptop = await people.sign_in("ada@example.com", **{"User-Agent": "Laptop/2.0"})
    bob = await people.sign_in("bob@example.com")

    response = await client.get("/users/me/sessions", headers=bearer(laptop))

    assert response.status_code == 200
    listed = response.json()
    assert [(s["user_agent"], s["current"]) for s in listed] == [("Phone/1.0", False), ("Laptop/2.0", True)]
    assert set(listed[0]) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "client_address",
        "user_agent",
        "current",
    }
    for grant in (phone, laptop):
        assert grant["refresh_token"] not in response.text
        assert grant["access_token"] not in response.text
    phone_id = listed[0]["id"]
    assert_problem(await client.delete(f"/users/me/sessions/{phone_id}", headers=bearer(bob)), 404)
    assert_problem(await client.delete("/users/me/sessions/not-an-id", headers=bearer(laptop)), 422)
    assert (await client.delete(f"/users/me/sessions/{phone_id}", headers=bearer(laptop))).status_code == 204
    assert_problem(await client.get("/users/me", headers=bearer(phone)), 401)
    assert_invalid_grant(await people.refresh(phone["refresh_token"]))
    assert [
        s["user_agent"] for s in (await client.get("/users/me/sessions", headers=bearer(laptop))).json()
    ] == ["Laptop/2.0"]


async def test_signing_out_everywhere_ends_every_session(client: httpx.AsyncClient, people: People) -> None:
    await people.sign_up("ada@example.com")
    grants = [await people.sign_in("ada@example.com") for _ in range(2)]
    assert (await client.post("/users/me/sign-out", headers=bearer(grants[0]))).status_code == 204
    for grant in grants:
        assert_invalid_grant(await people.refresh(grant["refresh_token"]))
        assert_problem(await client.get("/users/me", headers=bearer(grant)), 401)


@pytest.mark.parametrize(("role", "status"), [(Role.MEMBER, 403), (Role.MODERATOR, 204), (Role.ADMIN, 204)])
async def test_moderators_and_admins_delete_any_post_members_only_their_own(
    client: httpx.AsyncClient, people: People, role: Role, status: int
) -> None:
    await people.sign_up("author@example.com")
    await people.sign_up("other@example.com", role)
    author, other = await people.sign_in("author@example.com"), await people.sign_in("other@example.com")
    post = (await client.post("/posts/", json=PostCreatePayload(), headers=bearer(author))).json()

    response = await client.delete(f"/posts/{post['id']}", headers=bearer(other))

    assert response.status_code == status, response.text
    if status == 403:
        assert_problem(response, 403, "Only the author of a post, a moderator or an admin may delete it")
    assert (await client.get(f"/posts/{post['id']}")).status_code == (200 if status == 403 else 404)


ADMIN_CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/admin/users", None),
    ("GET", "/admin/audit", None),
    ("PATCH", "/admin/users/{id}", {"role": "moderator"}),
    ("POST", "/admin/users/{id}/suspend", {"reason": "spam"}),
    ("POST", "/admin/users/{id}/reinstate", None),
]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MODERATOR])
async def test_admin_routes_are_403_problems_for_everyone_else(
    client: httpx.AsyncClient, people: People, store: MemoryStore, role: Role
) -> None:
    target = await people.sign_up("target@example.com")
    await people.sign_up("caller@example.com", role)
    caller = await people.sign_in("caller@example.com")
    for method, path, body in ADMIN_CALLS:
        response = await client.request(
            method, path.format(id=target["id"]), json=body, headers=bearer(caller)
        )
        assert_problem(response, 403, "This needs the admin role")
        assert response.json()["type"] == "urn:users-posts:problem:permission-denied"
        assert_problem(await client.request(method, path.format(id=target["id"]), json=body), 401)
    assert store.users[target["id"]].role is Role.MEMBER
    assert not store.users[target["id"]].suspended


async def test_suspension_ends_sessions_refuses_login_and_keeps_posts_visible(
    client: httpx.AsyncClient, people: People, clock: FixedClock
) -> None:
    await people.sign_up("root@example.com", Role.ADMIN)
    ada = await people.sign_up("ada@example.com")
    admin, grant = await people.sign_in("root@example.com"), await people.sign_in("ada@example.com")
    post = (await client.post("/posts/", json=PostCreatePayload(), headers=bearer(grant))).json()

    suspended = await client.post(
        f"/admin/users/{ada['id']}/suspend",
        json={"reason": "Spam after two warnings"},
        headers={**bearer(admin), "X-Request-ID": "suspend-1"},
    )

    assert suspended.status_code == 200, suspended.text
    assert suspended.json() == {
        **ada,
        "role": "member",
        "suspended": True,
        "suspended_at": "2026-01-01T12:00:00Z",
        "suspension_reason": "Spam after two warnings",
    }
    assert_problem(await client.get("/users/me", headers=bearer(grant)), 401)
    assert_invalid_grant(await people.refresh(grant["refresh_token"]))
    right = await client.post("/auth/token", data={"username": "ada@example.com", "password": PASSWORD})
    body = assert_oauth_problem(right, "invalid_grant", detail="The account is suspended")
    assert body["type"] == "urn:users-posts:problem:account-suspended"
    wrong = await client.post("/auth/token", data={"username": "ada@example.com", "password": "wrong one"})
    assert_oauth_problem(wrong, "invalid_grant", detail="Incorrect email or password")
    assert (await client.get(f"/posts/{post['id']}")).status_code == 200  # posts stay visible

    clock.advance(hours=1)
    admin = await people.sign_in("root@example.com")  # the first access token lived 15 minutes
    reinstated = await client.post(f"/admin/users/{ada['id']}/reinstate", headers=bearer(admin))
    assert reinstated.json()["suspended"] is False
    await people.sign_in("ada@example.com")
    audit = (await client.get("/admin/audit", headers=bearer(admin))).json()
    assert [
        (e["action"], e["actor_id"], e["target"], e["reason"], e["request_id"] is not None) for e in audit
    ] == [
        (
            "user.suspended",
            admin_id(people, "root@example.com"),
            f"user:{ada['id']}",
            "Spam after two warnings",
            True,
        ),
        ("user.reinstated", admin_id(people, "root@example.com"), f"user:{ada['id']}", None, True),
    ]
    assert audit[0]["request_id"] == "suspend-1"
    assert (audit[0]["at"], audit[1]["at"]) == ("2026-01-01T12:00:00Z", "2026-01-01T13:00:00Z")


def admin_id(people: People, email: str) -> int:
    users: dict[int, User] = people.store.users
    return next(u.id for u in users.values() if u.email.value == email and u.id is not None)


async def test_role_changes_through_the_api(client: httpx.AsyncClient, people: People) -> None:
    root = await people.sign_up("root@example.com", Role.ADMIN)
    ada = await people.sign_up("ada@example.com")
    admin = await people.sign_in("root@example.com")

    changed = await client.patch(
        f"/admin/users/{ada['id']}", json={"role": "moderator"}, headers=bearer(admin)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "moderator"
    listed = await client.get("/admin/users?limit=1&after=1", headers=bearer(admin))
    assert [(u["email"], u["role"], u["suspended"]) for u in listed.json()] == [
        ("ada@example.com", "moderator", False)
    ]
    assert "Link" not in listed.headers
    assert_problem(
        await client.patch(f"/admin/users/{root['id']}", json={"role": "member"}, headers=bearer(admin)),
        403,
        "Admins cannot change their own role or suspension",
    )
    assert_problem(
        await client.post(f"/admin/users/{root['id']}/suspend", json={"reason": "x"}, headers=bearer(admin)),
        403,
    )
    body = assert_problem(
        await client.patch(f"/admin/users/{ada['id']}", json={"role": "superuser"}, headers=bearer(admin)),
        422,
    )
    assert "superuser" not in str(body)  # never echoed
    assert_problem(
        await client.patch("/admin/users/999", json={"role": "admin"}, headers=bearer(admin)),
        404,
        "User not found",
    )
    assert_problem(
        await client.post("/admin/users/999/suspend", json={"reason": "x"}, headers=bearer(admin)), 404
    )
    assert_problem(
        await client.post(f"/admin/users/{ada['id']}/suspend", json={"reason": " "}, headers=bearer(admin)),
        422,
    )
    audit = (await client.get("/admin/audit", headers=bearer(admin))).json()
    assert [(e["action"], e["reason"]) for e in audit] == [("user.role_changed", "member -> moderator")]


async def test_a_ten_megabyte_body_is_413(client: httpx.AsyncClient, people: People) -> None:
    await people.sign_up("root@example.com", Role.ADMIN)
    admin = await people.sign_in("root@example.com")
    huge = "x" * (10 * 1024 * 1024)
    for path, body in (
        ("/admin/users/1/suspend", {"json": {"reason": huge}}),
        ("/auth/token", {"data": {"grant_type": "refresh_token", "refresh_token": huge}}),
        ("/auth/revoke", {"data": {"token": huge}}),
    ):
        request = client.build_request("POST", path, headers=bearer(admin), **body)  # type: ignore[arg-type]
        assert_problem(await client.send(request), 413)


async def test_the_openapi_document_says_which_role_each_operation_needs(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    admin_operations = [
        op for path, ops in spec["paths"].items() if path.startswith("/admin") for op in ops.values()
    ]
    assert len(admin_operations) == 5
    for op in admin_operations:
        assert op["x-required-role"] == "admin"
        assert "403" in op["responses"]
    assert "moderator" in spec["paths"]["/posts/{post_id}"]["delete"]["x-required-role"]
