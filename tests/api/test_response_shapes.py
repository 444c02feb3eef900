"""Responses whose JSON the app builds itself (orjson from plain data) must be byte for byte what their
documented pydantic response model would have written: every such response is here, each read back
into its model and serialised by the model again. Problems (a dict of their own) hold what their model
holds."""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from api.problems.schemas import Problem, ValidationProblem
from api.schemas.admin import AdminUserRead, AuditEntryRead
from api.schemas.comments import CommentRead
from api.schemas.posts import PostDetail, PostRead
from api.schemas.recovery import Accepted
from api.schemas.sessions import CookieSession, SessionRead, Token
from api.schemas.users import UserPublic, UserRead
from domain.roles import Role
from infrastructure.memory import MemoryStore
from tests.api.conftest import Register
from tests.factories import UserCreatePayload
from tests.fakes import FixedClock

# Text that JSON must escape or may write as is, in names, titles and reasons.
NAME = 'Zoë \u00e9\u4e2d \U0001f600 "quoted" \\ /'
POST = {"title": "T\u00eftle", "content": "line\n\ttab \u00a0end"}
COMMENT = {"body": '\u00c0 propos:\n\t"quoted" \\ \U0001f600'}


def assert_written_by(model: Any, response: httpx.Response) -> None:
    """The bytes of `response` are what `model` writes for the data they hold."""
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    assert adapter.dump_json(adapter.validate_json(response.content)) == response.content


@pytest.fixture
async def data(client: httpx.AsyncClient, login, clock: FixedClock) -> dict[str, Any]:
    user, auth = await login(name=NAME)
    clock.advance(microseconds=123_456)  # one timestamp with microseconds, one without
    post = (await client.post("/posts/", json=POST, headers=auth)).json()
    comment = (await client.post(f"/posts/{post['id']}/comments", json=COMMENT, headers=auth)).json()
    return {"user": user, "post": post, "comment": comment, "auth": auth}


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/users/", list[UserPublic]),
        ("/users/{user}", UserPublic),
        ("/users/me", UserRead),
        ("/users/{user}/posts", list[PostRead]),
        ("/posts/", list[PostRead]),
        ("/posts/{post}", PostDetail),
        ("/posts/{post}/comments", list[CommentRead]),
        ("/comments/{comment}", CommentRead),
    ],
)
async def test_json_is_what_the_response_model_writes(
    client: httpx.AsyncClient, data: dict[str, Any], path, model
) -> None:
    url = path.format(user=data["user"]["id"], post=data["post"]["id"], comment=data["comment"]["id"])

    response = await client.get(url, headers=data["auth"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert_written_by(model, response)
    assert response.content  # and it is not empty: the lists hold the user and the post
    assert (b"123456Z" in response.content) == ("post" in url or "comment" in url)


@dataclass
class Scene:
    """An admin (with an unusual name) signed in, their post, a suspended member and another member."""

    client: httpx.AsyncClient
    admin: dict[str, Any]
    login: dict[str, str]
    grant: dict[str, Any]
    post: dict[str, Any]
    suspended: dict[str, Any]
    member: dict[str, Any]
    comment_path: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.grant['access_token']}"}


@pytest.fixture
async def scene(
    client: httpx.AsyncClient, register: Register, store: MemoryStore, clock: FixedClock
) -> Scene:
    admin = await register(name=NAME)
    store.users[admin["id"]].role = Role.ADMIN
    login = {"username": admin["email"], "password": UserCreatePayload()["password"]}
    grant = (await client.post("/auth/token", data=login)).json()
    auth = {"Authorization": f"Bearer {grant['access_token']}"}
    clock.advance(microseconds=123_456)
    post = (await client.post("/posts/", json=POST, headers=auth)).json()
    suspended, member = await register(), await register()
    suspension = {"reason": f"Spam: {NAME}"}
    answer = await client.post(f"/admin/users/{suspended['id']}/suspend", json=suspension, headers=auth)
    assert answer.status_code == 200, answer.text
    comment = await client.post(f"/posts/{post['id']}/comments", json=COMMENT, headers=auth)
    return Scene(client, admin, login, grant, post, suspended, member, comment.headers["location"])


Ask = Callable[[Scene], Awaitable[httpx.Response]]
# Every other response built from plain data: (how to get it, its status, its documented model).
BUILT: dict[str, tuple[Ask, int, Any]] = {
    "register": (lambda s: s.client.post("/users/", json=UserCreatePayload(name=NAME)), 201, UserRead),
    "edit my profile": (
        lambda s: s.client.patch("/users/me", json={"name": f"{NAME} 2"}, headers=s.auth),
        200,
        UserRead,
    ),
    "write a post": (lambda s: s.client.post("/posts/", json=POST, headers=s.auth), 201, PostRead),
    "edit a post": (
        lambda s: s.client.patch(f"/posts/{s.post['id']}", json={"title": "\u00c9dit\u00e9"}, headers=s.auth),
        200,
        PostRead,
    ),
    "write a comment": (
        lambda s: s.client.post(f"/posts/{s.post['id']}/comments", json=COMMENT, headers=s.auth),
        201,
        CommentRead,
    ),
    "edit a comment": (
        lambda s: s.client.patch(s.comment_path, json={"body": f"{NAME}\n2"}, headers=s.auth),
        200,
        CommentRead,
    ),
    "log in": (lambda s: s.client.post("/auth/token", data=s.login), 200, Token),
    "refresh": (
        lambda s: s.client.post(
            "/auth/token", data={"grant_type": "refresh_token", "refresh_token": s.grant["refresh_token"]}
        ),
        200,
        Token,
    ),
    "start a cookie session": (
        lambda s: s.client.post("/auth/session", data=s.login, headers={"Origin": "http://testserver"}),
        200,
        CookieSession,
    ),
    "my sessions": (lambda s: s.client.get("/users/me/sessions", headers=s.auth), 200, list[SessionRead]),
    "users for admins": (lambda s: s.client.get("/admin/users", headers=s.auth), 200, list[AdminUserRead]),
    "change a role": (
        lambda s: s.client.patch(
            f"/admin/users/{s.member['id']}", json={"role": "moderator"}, headers=s.auth
        ),
        200,
        AdminUserRead,
    ),
    "suspend": (
        lambda s: s.client.post(
            f"/admin/users/{s.member['id']}/suspend", json={"reason": "Spam"}, headers=s.auth
        ),
        200,
        AdminUserRead,
    ),
    "reinstate": (
        lambda s: s.client.post(f"/admin/users/{s.suspended['id']}/reinstate", headers=s.auth),
        200,
        AdminUserRead,
    ),
    "audit log": (lambda s: s.client.get("/admin/audit", headers=s.auth), 200, list[AuditEntryRead]),
    "ask for a password reset": (
        lambda s: s.client.post("/auth/password-reset", json={"email": s.admin["email"]}),
        202,
        Accepted,
    ),
    "ask for a verification link": (
        lambda s: s.client.post("/users/me/verification-email", headers=s.auth),
        202,
        Accepted,
    ),
    "a problem": (lambda s: s.client.get("/posts/424242"), 404, Problem),
    "a validation problem": (
        lambda s: s.client.post("/users/", json={"name": "", "email": 7}),
        422,
        ValidationProblem,
    ),
}


@pytest.mark.parametrize("case", BUILT)
async def test_every_built_response_is_what_its_model_writes(scene: Scene, case: str) -> None:
    ask, status, model = BUILT[case]

    response = await ask(scene)

    assert response.status_code == status, response.text
    media = "application/problem+json" if status >= 400 else "application/json"
    assert response.headers["content-type"] == media
    assert response.content not in (b"", b"[]")  # a list holds what the scene made
    if status < 400:
        assert_written_by(model, response)
    else:  # a problem writes `errors` before `request_id`, the model after: the same members and values
        adapter: TypeAdapter[Any] = TypeAdapter(model)
        assert json.loads(adapter.dump_json(adapter.validate_json(response.content))) == response.json()


async def test_the_lists_of_admins_and_sessions_show_every_kind_of_value(scene: Scene) -> None:
    """What the comparisons above are made on: null and set suspensions, reasons and request ids."""
    users = (await scene.client.get("/admin/users", headers=scene.auth)).json()
    audit = (await scene.client.get("/admin/audit", headers=scene.auth)).json()
    sessions = (await scene.client.get("/users/me/sessions", headers=scene.auth)).json()

    assert [user["suspended"] for user in users] == [False, True, False]
    assert {user["suspension_reason"] for user in users} == {None, f"Spam: {NAME}"}
    assert [(entry["action"], entry["reason"]) for entry in audit] == [("user.suspended", f"Spam: {NAME}")]
    assert audit[0]["request_id"]
    assert [session["current"] for session in sessions] == [True]
