from typing import Any

import httpx
import pytest

from domain.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH
from infrastructure.memory import MemoryStore
from tests.api.problems import assert_problem
from tests.factories import PostCreatePayload

POST_FIELDS = {"id", "title", "content", "author_id", "created_at", "updated_at", "comment_count"}


async def test_create_post_as_the_caller(client: httpx.AsyncClient, login) -> None:
    user, auth = await login()

    response = await client.post("/posts/", json={"title": "  Hello ", "content": "World"}, headers=auth)

    assert response.status_code == 201
    post = response.json()
    assert set(post) == POST_FIELDS
    assert (post["title"], post["content"], post["author_id"]) == ("Hello", "World", user["id"])
    assert post["created_at"] == post["updated_at"]


async def test_creating_a_post_needs_a_token(client: httpx.AsyncClient, store: MemoryStore) -> None:
    response = await client.post("/posts/", json=PostCreatePayload())
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert store.posts == {}


async def test_an_anonymous_create_is_refused_before_its_body_is_judged(client: httpx.AsyncClient) -> None:
    assert_problem(await client.post("/posts/", json={"title": ""}), 401)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**PostCreatePayload(), "author_id": 2}, "body"),  # an unknown key is never echoed
        ({**PostCreatePayload(), "id": 7}, "body"),
        ({"content": "x"}, "title"),
        ({"title": "x"}, "content"),
        (PostCreatePayload(title=""), "title"),
        (PostCreatePayload(title="   "), "title"),
        (PostCreatePayload(title="t" * (TITLE_MAX_LENGTH + 1)), "title"),
        (PostCreatePayload(title="two\nlines"), "title"),
        (PostCreatePayload(content=""), "content"),
        (PostCreatePayload(content="  \n "), "content"),
        (PostCreatePayload(content="c" * (CONTENT_MAX_LENGTH + 1)), "content"),
        (PostCreatePayload(content="nul \x00 byte"), "content"),
        (PostCreatePayload(title=5), "title"),
    ],
)
async def test_bad_posts_are_422_and_store_nothing(
    client: httpx.AsyncClient, login, store: MemoryStore, payload: dict[str, Any], field: str
) -> None:
    _, auth = await login()
    body = assert_problem(await client.post("/posts/", json=payload, headers=auth), 422)
    assert any(error["loc"][-1] == field for error in body["errors"]), body["errors"]
    assert store.posts == {}


async def test_get_post_includes_the_author_summary(client: httpx.AsyncClient, login) -> None:
    user, auth = await login(name="Ada")
    post = (await client.post("/posts/", json=PostCreatePayload(), headers=auth)).json()

    response = await client.get(f"/posts/{post['id']}")

    assert response.status_code == 200
    assert response.json() == {
        **post,
        "author": {"id": user["id"], "name": "Ada", "created_at": user["created_at"]},
    }


@pytest.mark.parametrize(("path", "status"), [("/posts/999", 404), ("/posts/abc", 422), ("/posts/0", 422)])
async def test_unknown_or_bad_post_ids(client: httpx.AsyncClient, path: str, status: int) -> None:
    body = assert_problem(await client.get(path), status)
    if status == 404:
        assert body["detail"] == "Post not found"


async def test_list_posts_pages_and_filters_by_author(client: httpx.AsyncClient, login) -> None:
    ada, ada_auth = await login()
    _, bob_auth = await login()
    posts = []
    for auth in (ada_auth, bob_auth, ada_auth, ada_auth, bob_auth):
        posts.append((await client.post("/posts/", json=PostCreatePayload(), headers=auth)).json())

    everything = await client.get("/posts/?limit=100")
    first = await client.get(f"/posts/?limit=2&author_id={ada['id']}")
    link = first.headers["link"]
    rest = await client.get(link[1 : link.index(">")])

    assert everything.json() == posts
    assert "link" not in everything.headers
    assert f"author_id={ada['id']}" in link
    assert first.json() + rest.json() == [p for p in posts if p["author_id"] == ada["id"]]
    assert "link" not in rest.headers


@pytest.mark.parametrize("query", ["author_id=x", "author_id=0", "limit=0", "limit=101", "after=-1"])
async def test_bad_post_list_parameters_are_422(client: httpx.AsyncClient, query: str) -> None:
    assert_problem(await client.get(f"/posts/?{query}"), 422)


async def test_user_posts_404_for_unknown_user_and_empty_for_a_silent_one(
    client: httpx.AsyncClient, login, register
) -> None:
    silent = await register()
    user, auth = await login()
    post = (await client.post("/posts/", json=PostCreatePayload(), headers=auth)).json()

    assert_problem(await client.get("/users/999/posts"), 404, "User not found")
    assert (await client.get(f"/users/{silent['id']}/posts")).json() == []
    assert (await client.get(f"/users/{user['id']}/posts")).json() == [post]


async def test_user_posts_are_paged_with_link(client: httpx.AsyncClient, login) -> None:
    user, auth = await login()
    posts = [(await client.post("/posts/", json=PostCreatePayload(), headers=auth)).json() for _ in range(3)]

    first = await client.get(f"/users/{user['id']}/posts?limit=2")
    link = first.headers["link"]
    second = await client.get(link[1 : link.index(">")])

    assert first.json() + second.json() == posts


async def test_the_author_edits_and_deletes(client: httpx.AsyncClient, login) -> None:
    _, auth = await login()
    post = (await client.post("/posts/", json={"title": "Old", "content": "Body"}, headers=auth)).json()

    edited = await client.patch(f"/posts/{post['id']}", json={"title": "New"}, headers=auth)
    assert edited.status_code == 200
    assert {k: edited.json()[k] for k in ("title", "content")} == {"title": "New", "content": "Body"}
    assert (await client.get(f"/posts/{post['id']}")).json()["title"] == "New"

    deleted = await client.delete(f"/posts/{post['id']}", headers=auth)
    assert deleted.status_code == 204
    assert_problem(await client.get(f"/posts/{post['id']}"), 404, "Post not found")


async def test_another_user_gets_403_and_changes_nothing(client: httpx.AsyncClient, login) -> None:
    _, ada_auth = await login()
    _, bob_auth = await login()
    post = (await client.post("/posts/", json=PostCreatePayload(), headers=ada_auth)).json()

    assert_problem(await client.patch(f"/posts/{post['id']}", json={"title": "Mine"}, headers=bob_auth), 403)
    assert_problem(await client.delete(f"/posts/{post['id']}", headers=bob_auth), 403)
    assert (await client.get(f"/posts/{post['id']}")).json()["title"] == post["title"]


async def test_edit_or_delete_needs_a_token_and_an_existing_post(client: httpx.AsyncClient, login) -> None:
    _, auth = await login()
    post = (await client.post("/posts/", json=PostCreatePayload(), headers=auth)).json()

    assert_problem(await client.patch(f"/posts/{post['id']}", json={"title": "x"}), 401)
    assert_problem(await client.delete(f"/posts/{post['id']}"), 401)
    assert_problem(await client.patch("/posts/999", json={"title": "x"}, headers=auth), 404, "Post not found")
    assert_problem(await client.delete("/posts/999", headers=auth), 404, "Post not found")


@pytest.mark.parametrize(
    "body", [{}, {"title": ""}, {"content": " "}, {"author_id": 3}, {"title": "t" * (TITLE_MAX_LENGTH + 1)}]
)
async def test_bad_edits_are_422_and_change_nothing(client: httpx.AsyncClient, login, body) -> None:
    _, auth = await login()
    post = (await client.post("/posts/", json=PostCreatePayload(), headers=auth)).json()
    assert_problem(await client.patch(f"/posts/{post['id']}", json=body, headers=auth), 422)
    fetched = (await client.get(f"/posts/{post['id']}")).json()
    assert {k: fetched[k] for k in POST_FIELDS} == post
