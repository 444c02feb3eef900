"""ETags and conditional requests over HTTP: strong tags on a user, a post and /users/me that change on
every write, 304 for If-None-Match, 412 for a stale If-Match with nothing written, 428 when
APP_REQUIRE_IF_MATCH asks for one, Location on every 201, and two concurrent edits with one tag on each
SQL database: exactly one wins."""

import asyncio
from collections import Counter
from typing import Any, NamedTuple

import httpx
import pytest
from dependency_injector import providers

import api.routers.posts
from api.app import create_app
from infrastructure.container import Container
from infrastructure.settings import Settings
from tests.api.problems import assert_problem
from tests.api.sql_apps import app_client, sql_app
from tests.factories import PostCreatePayload, UserCreatePayload


async def write_post(client: httpx.AsyncClient, auth: dict[str, str]) -> httpx.Response:
    response = await client.post("/posts/", json=PostCreatePayload(), headers=auth)
    assert response.status_code == 201, response.text
    return response


class AuthoredPost(NamedTuple):
    user: dict[str, Any]
    auth: dict[str, str]
    path: str


@pytest.fixture
async def authored_post(client: httpx.AsyncClient, login: Any) -> AuthoredPost:
    """A user logged in (their body and auth headers) and the path of a post they wrote."""
    user, auth = await login()
    return AuthoredPost(user, auth, (await write_post(client, auth)).headers["location"])


async def test_every_201_says_where_the_resource_is_and_its_etag(
    client: httpx.AsyncClient, login: Any
) -> None:
    _user, auth = await login()
    registered = await client.post("/users/", json=UserCreatePayload())
    post = await write_post(client, auth)

    assert registered.headers["location"] == f"/users/{registered.json()['id']}"
    assert registered.headers["etag"] == f'"{registered.json()["id"]}.1"'
    assert post.headers["location"] == f"/posts/{post.json()['id']}"
    assert post.headers["etag"] == f'"{post.json()["id"]}.1.0"'  # a post's also names its comment count
    assert (await client.get(post.headers["location"])).headers["etag"] == post.headers["etag"]


async def test_locations_are_absolute_under_the_public_url(container: Container, login: Any) -> None:
    container.settings.override(providers.Object(Settings(public_url="https://api.example.com/")))
    _user, auth = await login()
    async with app_client(create_app(container)) as client:
        post = await write_post(client, auth)
    assert post.headers["location"] == f"https://api.example.com/posts/{post.json()['id']}"


async def test_a_posts_etag_changes_with_every_write_and_its_authors_name(
    client: httpx.AsyncClient, authored_post: AuthoredPost
) -> None:
    _, auth, path = authored_post
    tags = [(await client.get(path)).headers["etag"]]

    edited = await client.patch(path, json={"title": "New"}, headers=auth)
    tags.append(edited.headers["etag"])
    assert (await client.get(path)).headers["etag"] == tags[-1]
    assert (await client.patch("/users/me", json={"name": "Renamed"}, headers=auth)).status_code == 200
    renamed = await client.get(path)
    tags.append(renamed.headers["etag"])

    assert renamed.json()["author"]["name"] == "Renamed"
    assert len(set(tags)) == 3, tags
    assert all(tag.startswith('"') and not tag.startswith("W/") for tag in tags)


async def test_user_and_me_etags_change_with_every_write(client: httpx.AsyncClient, login: Any) -> None:
    user, auth = await login()
    first = await client.get(f"/users/{user['id']}")
    me = await client.get("/users/me", headers=auth)
    changed = await client.patch("/users/me", json={"name": "Ada"}, headers=auth)
    again = await client.get(f"/users/{user['id']}")

    assert first.headers["etag"] == me.headers["etag"] == f'"{user["id"]}.1"'
    assert changed.headers["etag"] == again.headers["etag"] == f'"{user["id"]}.2"'


@pytest.mark.parametrize("matching", ["{tag}", "W/{tag}", '"0.0", {tag}', "*"])
async def test_if_none_match_of_the_current_version_is_a_304_without_body(
    client: httpx.AsyncClient, authored_post: AuthoredPost, matching: str
) -> None:
    user, auth, path = authored_post
    paths = {path: {}, f"/users/{user['id']}": {}, "/users/me": auth}
    for where, headers in paths.items():
        tag = (await client.get(where, headers=headers)).headers["etag"]

        response = await client.get(where, headers={**headers, "If-None-Match": matching.format(tag=tag)})

        assert response.status_code == 304, where
        assert response.content == b""
        assert response.headers["etag"] == tag
        assert "content-type" not in response.headers


async def test_if_none_match_of_an_old_version_gets_the_new_one(
    client: httpx.AsyncClient, authored_post: AuthoredPost
) -> None:
    _, auth, path = authored_post
    old = (await client.get(path)).headers["etag"]
    await client.patch(path, json={"title": "New"}, headers=auth)

    response = await client.get(path, headers={"If-None-Match": old})

    assert response.status_code == 200
    assert response.json()["title"] == "New"
    assert response.headers["etag"] != old


async def test_a_304_builds_no_json(
    client: httpx.AsyncClient, authored_post: AuthoredPost, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = authored_post.path
    tag = (await client.get(path)).headers["etag"]

    def no_body(*_: object) -> dict[str, Any]:
        raise AssertionError("the body was built for a 304")

    monkeypatch.setattr(api.routers.posts, "post_detail_json", no_body)
    assert (await client.get(path, headers={"If-None-Match": tag})).status_code == 304


@pytest.mark.parametrize("header", ["If-None-Match", "If-Match"])
@pytest.mark.parametrize("value", ["7.1", '"7.1', 'W/ "7.1"', '*, "7.1"', "garbage"])
async def test_malformed_conditions_are_a_400_and_change_nothing(
    client: httpx.AsyncClient, authored_post: AuthoredPost, header: str, value: str
) -> None:
    _, auth, path = authored_post
    before = await client.get(path)

    if header == "If-None-Match":
        response = await client.get(path, headers={header: value})
    else:
        response = await client.patch(path, json={"title": "Changed"}, headers={**auth, header: value})

    assert_problem(
        response,
        400,
        f'The {header} header is malformed: give * or entity tags such as "7.3", comma-separated',
    )
    assert (await client.get(path)).json() == before.json()


async def test_if_match_of_the_current_version_writes_and_gives_the_new_etag(
    client: httpx.AsyncClient, authored_post: AuthoredPost
) -> None:
    _, auth, path = authored_post
    tag = (await client.get(path)).headers["etag"]

    edited = await client.patch(path, json={"title": "One"}, headers={**auth, "If-Match": tag})
    after_edited = await client.get(path)
    chained = await client.patch(
        path, json={"title": "Two"}, headers={**auth, "If-Match": edited.headers["etag"]}
    )
    after_chained = await client.get(path)
    anything = await client.patch(path, json={"title": "Three"}, headers={**auth, "If-Match": "*"})
    after_anything = await client.get(path)
    deleted = await client.delete(path, headers={**auth, "If-Match": anything.headers["etag"]})

    assert [r.status_code for r in (edited, chained, anything, deleted)] == [200, 200, 200, 204]
    writes, reads = (edited, chained, anything), (after_edited, after_chained, after_anything)
    # Each write answers the ETag of the version it made: the one a read then serves, new each time.
    assert [w.headers["etag"] for w in writes] == [r.headers["etag"] for r in reads]
    assert len({tag, *(w.headers["etag"] for w in writes)}) == 4
    assert [r.json()["title"] for r in reads] == ["One", "Two", "Three"]
    assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize("stale", ["{old}", "W/{current}", '"999.1"', '"anything"'])
async def test_a_stale_or_weak_if_match_is_a_412_and_writes_nothing(
    client: httpx.AsyncClient, authored_post: AuthoredPost, stale: str
) -> None:
    _, auth, path = authored_post
    old = (await client.get(path)).headers["etag"]
    current = (await client.patch(path, json={"title": "Second"}, headers=auth)).headers["etag"]
    condition = {**auth, "If-Match": stale.format(old=old, current=current)}

    edit = await client.patch(path, json={"title": "Lost update"}, headers=condition)
    delete = await client.delete(path, headers=condition)

    for response in (edit, delete):
        problem = assert_problem(response, 412, "The post has changed since the version given")
        assert problem["type"] == "urn:users-posts:problem:precondition-failed"
    after = await client.get(path)
    assert (after.json()["title"], after.headers["etag"]) == ("Second", current)


async def test_a_stale_if_match_on_my_profile_is_a_412_and_writes_nothing(
    client: httpx.AsyncClient, login: Any
) -> None:
    _user, auth = await login(name="Ada")
    old = (await client.get("/users/me", headers=auth)).headers["etag"]
    await client.patch("/users/me", json={"name": "Second"}, headers=auth)

    response = await client.patch("/users/me", json={"name": "Lost"}, headers={**auth, "If-Match": old})

    assert_problem(response, 412, "The user has changed since the version given")
    assert (await client.get("/users/me", headers=auth)).json()["name"] == "Second"


async def test_without_the_resource_or_the_right_a_condition_changes_nothing(
    client: httpx.AsyncClient, login: Any
) -> None:
    _author, auth = await login()
    _other, intruder = await login()
    path = (await write_post(client, auth)).headers["location"]

    # RFC 9110 §13.2.1: conditions are evaluated only when the request would otherwise succeed.
    assert_problem(
        await client.patch("/posts/999", json={"title": "x"}, headers={**auth, "If-Match": '"1.1"'}), 404
    )
    assert_problem(
        await client.patch(path, json={"title": "x"}, headers={**intruder, "If-Match": '"0.0"'}), 403
    )
    assert_problem(await client.delete(path, headers={**intruder, "If-Match": '"0.0"'}), 403)


async def test_require_if_match_makes_unconditional_writes_a_428(container: Container, login: Any) -> None:
    container.settings.override(providers.Object(Settings(require_if_match=True)))
    _user, auth = await login()
    async with app_client(create_app(container)) as client:
        path = (await write_post(client, auth)).headers["location"]
        tag = (await client.get(path)).headers["etag"]
        refused = [
            await client.patch(path, json={"title": "x"}, headers=auth),
            await client.delete(path, headers=auth),
            await client.patch("/users/me", json={"name": "x"}, headers=auth),
        ]
        allowed = await client.patch(path, json={"title": "x"}, headers={**auth, "If-Match": tag})
        title = (await client.get(path)).json()["title"]

    for response in refused:
        assert_problem(
            response,
            428,
            "This change must be conditional: send If-Match with the ETag of the version it is based on",
        )
    assert allowed.status_code == 200
    assert title == "x"


async def test_two_concurrent_edits_with_one_etag_let_exactly_one_through(sql_database_url: str) -> None:
    payload = UserCreatePayload()
    async with sql_app(sql_database_url) as app:
        client = app.client
        assert (await client.post("/users/", json=payload)).status_code == 201
        form = {"username": payload["email"], "password": payload["password"]}
        auth = {
            "Authorization": f"Bearer {(await client.post('/auth/token', data=form)).json()['access_token']}"
        }
        path = (await write_post(client, auth)).headers["location"]
        tag = (await client.get(path)).headers["etag"]

        edits = [{"title": f"Edit {i}"} for i in range(2)]
        responses = await asyncio.gather(
            *(client.patch(path, json=edit, headers={**auth, "If-Match": tag}) for edit in edits)
        )

        assert Counter(r.status_code for r in responses) == {200: 1, 412: 1}, [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        stored = await client.get(path)
        assert (stored.json()["title"], stored.headers["etag"]) == (
            winner.json()["title"],
            winner.headers["etag"],
        )
