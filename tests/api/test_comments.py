"""Comments over HTTP (in-memory storage, fixed clock), a row of the routes table at a time, bad input
included; the post views' comment_count; deletes of posts and accounts; and, on each SQL database, 50
comments written at once by 10 users counting 50."""

import asyncio
from dataclasses import replace
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from prometheus_client import REGISTRY

from api.app import create_app
from domain.comments import BODY_MAX_LENGTH
from domain.ids import ID_MAX
from domain.roles import Role
from domain.users import Suspension
from infrastructure.container import Container
from infrastructure.memory import MemoryStore
from infrastructure.settings import Settings
from tests.api.conftest import Login
from tests.api.problems import assert_problem
from tests.api.sql_apps import app_client, sql_app
from tests.factories import CommentCreatePayload, PostCreatePayload, UserCreatePayload
from tests.fakes import FixedClock

COMMENT_FIELDS = {"id", "post_id", "body", "author", "created_at", "updated_at"}
Auth = dict[str, str]


async def write_post(client: httpx.AsyncClient, auth: Auth) -> dict[str, Any]:
    response = await client.post("/posts/", json=PostCreatePayload(), headers=auth)
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


async def comment(client: httpx.AsyncClient, post_id: int, auth: Auth, body: str = "Nice.") -> httpx.Response:
    response = await client.post(f"/posts/{post_id}/comments", json={"body": body}, headers=auth)
    assert response.status_code == 201, response.text
    return response


@pytest.fixture
async def post_and_people(client: httpx.AsyncClient, login: Login) -> tuple[dict[str, Any], Auth, Auth]:
    """A post by its author, and the auth headers of its author and of another user."""
    _, author = await login()
    _, other = await login()
    return await write_post(client, author), author, other


async def test_a_comment_is_created_with_its_location_and_etag_and_shown_with_its_author(
    client: httpx.AsyncClient, login: Login
) -> None:
    _, author = await login()
    bob, auth = await login(name="Bob")
    post = await write_post(client, author)

    response = await client.post(
        f"/posts/{post['id']}/comments", json={"body": "  Nice.\nReally. "}, headers=auth
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == COMMENT_FIELDS
    assert (created["post_id"], created["body"], created["author"]) == (
        post["id"],
        "Nice.\nReally.",
        {"id": bob["id"], "name": "Bob"},
    )
    assert created["created_at"] == created["updated_at"]
    assert response.headers["location"] == f"/comments/{created['id']}"
    assert response.headers["etag"] == f'"{created["id"]}.1"'
    fetched = await client.get(response.headers["location"])
    assert fetched.json() == created
    assert fetched.headers["etag"] == response.headers["etag"]


async def test_commenting_needs_a_token(client: httpx.AsyncClient, login: Login, store: MemoryStore) -> None:
    _, author = await login()
    post = await write_post(client, author)
    response = await client.post(f"/posts/{post['id']}/comments", json=CommentCreatePayload())
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert store.comments == {}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": " \n\t "}, "body"),
        ({"body": "b" * (BODY_MAX_LENGTH + 1)}, "body"),
        ({"body": "nul \x00 byte"}, "body"),
        ({"body": "bell \x07"}, "body"),
        ({"body": 5}, "body"),
        ({"body": None}, "body"),
        ({**CommentCreatePayload(), "post_id": 2}, "body"),  # unknown keys are refused, never echoed
        ({**CommentCreatePayload(), "author_id": 2}, "body"),
    ],
)
async def test_bad_comments_are_422_and_store_nothing(
    client: httpx.AsyncClient, post_and_people: Any, store: MemoryStore, payload: dict[str, Any], field: str
) -> None:
    post, _, other = post_and_people
    response = await client.post(f"/posts/{post['id']}/comments", json=payload, headers=other)
    body = assert_problem(response, 422)
    assert any(error["loc"][-1] == field or error["loc"] == ["body"] for error in body["errors"]), body
    assert store.comments == {}
    assert (await client.get(f"/posts/{post['id']}")).json()["comment_count"] == 0


async def test_the_longest_body_is_accepted(client: httpx.AsyncClient, post_and_people: Any) -> None:
    post, _, other = post_and_people
    response = await comment(client, post["id"], other, "é" * BODY_MAX_LENGTH)
    assert len(response.json()["body"]) == BODY_MAX_LENGTH


async def test_a_comment_on_an_unknown_post_is_404_and_a_huge_id_422(
    client: httpx.AsyncClient, post_and_people: Any, store: MemoryStore
) -> None:
    post, _, other = post_and_people
    unknown = await client.post(
        f"/posts/{post['id'] + 1}/comments", json=CommentCreatePayload(), headers=other
    )
    assert_problem(unknown, 404, "Post not found")
    for post_id in (ID_MAX + 1, 10**30, 0, -1):
        response = await client.post(f"/posts/{post_id}/comments", json=CommentCreatePayload(), headers=other)
        assert_problem(response, 422)
    assert store.comments == {}


async def test_an_idempotency_key_makes_a_retry_get_the_first_answer(
    client: httpx.AsyncClient, post_and_people: Any, store: MemoryStore
) -> None:
    post, _, other = post_and_people
    headers = {**other, "Idempotency-Key": "comment-1"}
    path = f"/posts/{post['id']}/comments"

    first = await client.post(path, json={"body": "Once"}, headers=headers)
    retry = await client.post(path, json={"body": "Once"}, headers=headers)
    changed = await client.post(path, json={"body": "Twice?"}, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert (retry.json(), retry.headers["location"], retry.headers["etag"]) == (
        first.json(),
        first.headers["location"],
        first.headers["etag"],
    )
    assert_problem(changed, 422)
    assert len(store.comments) == 1
    assert (await client.get(f"/posts/{post['id']}")).json()["comment_count"] == 1


async def test_past_the_comment_budget_a_user_gets_429(container: Container, login: Login) -> None:
    settings = Settings(limit_register_per_address="1000/minute", limit_comments_per_user="2/minute")
    container.settings.override(providers.Object(settings))
    async with app_client(create_app(container)) as client:
        _, author = await login()
        post = await write_post(client, author)
        path = f"/posts/{post['id']}/comments"
        await comment(client, post["id"], author)
        await comment(client, post["id"], author)

        refused = await client.post(path, json=CommentCreatePayload(), headers=author)

        assert_problem(refused, 429, "Too many comments; try again later")
        assert int(refused.headers["retry-after"]) > 0
        assert (await client.get(f"/posts/{post['id']}")).json()["comment_count"] == 2
        await write_post(client, author)  # posts have a budget of their own


async def test_with_verified_email_required_an_unverified_user_gets_403(
    container: Container, login: Login
) -> None:
    settings = Settings(limit_register_per_address="1000/minute", require_verified_email=True)
    container.settings.override(providers.Object(settings))
    async with app_client(create_app(container)) as client:
        _, auth = await login()
        post_id = 1  # no post is needed to be refused first: the rule is the caller's
        response = await client.post(f"/posts/{post_id}/comments", json=CommentCreatePayload(), headers=auth)
    body = assert_problem(response, 403, "Verify your email address before writing comments")
    assert body["type"] == "urn:users-posts:problem:email-not-verified"


async def test_a_suspended_user_cannot_comment_and_their_comments_stay_visible(
    client: httpx.AsyncClient, post_and_people: Any, store: MemoryStore, clock: FixedClock
) -> None:
    post, _, other = post_and_people
    created = (await comment(client, post["id"], other)).json()
    author_id = created["author"]["id"]
    store.users[author_id] = replace(store.users[author_id], suspension=Suspension(clock.now(), "spam"))

    refused = await client.post(f"/posts/{post['id']}/comments", json=CommentCreatePayload(), headers=other)

    assert_problem(refused, 401)  # a suspended account's tokens no longer authenticate
    assert [c["id"] for c in (await client.get(f"/posts/{post['id']}/comments")).json()] == [created["id"]]
    assert (await client.get(f"/comments/{created['id']}")).status_code == 200
    assert (await client.get(f"/posts/{post['id']}")).json()["comment_count"] == 1


async def test_comments_are_listed_oldest_first_with_their_authors_and_paged_by_link(
    client: httpx.AsyncClient, login: Login
) -> None:
    _, author = await login()
    bob, auth = await login(name="Bob")
    post = await write_post(client, author)
    other_post = await write_post(client, author)
    written = [
        (await comment(client, post["id"], who, f"#{n}")).json() for n, who in enumerate([auth, author] * 3)
    ]
    await comment(client, other_post["id"], auth)

    first = await client.get(f"/posts/{post['id']}/comments", params={"limit": 4})
    assert first.status_code == 200
    assert first.json() == written[:4]
    assert (
        first.headers["link"]
        == f'</posts/{post["id"]}/comments?limit=4&after={written[3]["id"]}>; rel="next"'
    )
    second = await client.get(first.headers["link"].split(">")[0].lstrip("<"))
    assert second.json() == written[4:]
    assert "link" not in second.headers
    assert written[0]["author"] == {"id": bob["id"], "name": "Bob"}
    assert written[1]["author"]["id"] != bob["id"]
    assert all(set(c) == COMMENT_FIELDS for c in first.json())
    default = (await client.get(f"/posts/{post['id']}/comments")).json()
    assert default == written


async def test_listing_comments_of_an_unknown_post_is_404_and_bad_paging_422(
    client: httpx.AsyncClient, post_and_people: Any
) -> None:
    post, _, _ = post_and_people
    assert (await client.get(f"/posts/{post['id']}/comments")).json() == []
    assert_problem(await client.get(f"/posts/{post['id'] + 1}/comments"), 404, "Post not found")
    for params in ({"limit": 0}, {"limit": 101}, {"after": -1}, {"after": ID_MAX + 1}, {"limit": "x"}):
        assert_problem(await client.get(f"/posts/{post['id']}/comments", params=params), 422)
    assert_problem(await client.get(f"/posts/{ID_MAX + 1}/comments"), 422)


async def test_a_comment_read_honours_if_none_match_and_unknown_ids_are_404(
    client: httpx.AsyncClient, post_and_people: Any
) -> None:
    post, _, other = post_and_people
    created = await comment(client, post["id"], other)
    path, etag = created.headers["location"], created.headers["etag"]

    not_modified = await client.get(path, headers={"If-None-Match": etag})
    assert (not_modified.status_code, not_modified.content, not_modified.headers["etag"]) == (304, b"", etag)
    assert (await client.get(path, headers={"If-None-Match": '"1.7"'})).status_code == 200
    assert_problem(await client.get(path, headers={"If-None-Match": "garbage"}), 400)
    assert_problem(await client.get(f"/comments/{created.json()['id'] + 1}"), 404, "Comment not found")
    assert_problem(await client.get(f"/comments/{ID_MAX + 1}"), 422)
    assert_problem(await client.get("/comments/0"), 422)


async def test_only_the_author_edits_a_comment_and_gets_its_new_etag(
    client: httpx.AsyncClient, post_and_people: Any, clock: FixedClock
) -> None:
    post, author, other = post_and_people
    created = await comment(client, post["id"], other)
    path, etag = created.headers["location"], created.headers["etag"]
    clock.advance(minutes=5)

    refused = await client.patch(path, json={"body": "Hijacked"}, headers=author)
    assert_problem(refused, 403, "Only the author of a comment may change it")
    edited = await client.patch(path, json={"body": " Better. "}, headers={**other, "If-Match": etag})

    assert edited.status_code == 200, edited.text
    assert edited.json() == {**created.json(), "body": "Better.", "updated_at": "2026-01-01T12:05:00Z"}
    assert edited.headers["etag"] == f'"{created.json()["id"]}.2"'
    assert (await client.get(path)).json() == edited.json()
    assert (
        await client.get(path, headers={"If-None-Match": etag})
    ).status_code == 200  # the old tag is stale


async def test_a_stale_if_match_is_412_and_writes_nothing(
    client: httpx.AsyncClient, post_and_people: Any
) -> None:
    post, _, other = post_and_people
    created = await comment(client, post["id"], other)
    path, old = created.headers["location"], created.headers["etag"]
    await client.patch(path, json={"body": "Second"}, headers=other)

    stale_edit = await client.patch(path, json={"body": "Third"}, headers={**other, "If-Match": old})
    stale_delete = await client.delete(path, headers={**other, "If-Match": old})

    assert_problem(stale_edit, 412, "The comment has changed since the version given")
    assert_problem(stale_delete, 412, "The comment has changed since the version given")
    assert (await client.get(path)).json()["body"] == "Second"
    assert (await client.get(f"/posts/{post['id']}")).json()["comment_count"] == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"body": ""}, {"body": "  "}, {"body": None}, {"body": "b" * (BODY_MAX_LENGTH + 1)}, {"post_id": 3}],
)
async def test_bad_edits_are_422_and_change_nothing(
    client: httpx.AsyncClient, post_and_people: Any, body: dict[str, Any]
) -> None:
    post, _, other = post_and_people
    created = await comment(client, post["id"], other)
    assert_problem(await client.patch(created.headers["location"], json=body, headers=other), 422)
    assert (await client.get(created.headers["location"])).json() == created.json()


async def test_edits_and_deletes_need_a_token_and_an_existing_comment(
    client: httpx.AsyncClient, post_and_people: Any
) -> None:
    post, _, other = post_and_people
    path = (await comment(client, post["id"], other)).headers["location"]
    assert_problem(await client.patch(path, json={"body": "x"}), 401)
    assert_problem(await client.delete(path), 401)
    assert_problem(
        await client.patch("/comments/999", json={"body": "x"}, headers=other), 404, "Comment not found"
    )
    assert_problem(await client.delete("/comments/999", headers=other), 404, "Comment not found")
    assert_problem(await client.delete(f"/comments/{ID_MAX + 1}", headers=other), 422)


async def test_with_if_match_required_a_change_without_it_is_428(container: Container, login: Login) -> None:
    settings = Settings(limit_register_per_address="1000/minute", require_if_match=True)
    container.settings.override(providers.Object(settings))
    async with app_client(create_app(container)) as client:
        _, auth = await login()
        post = await write_post(client, auth)
        created = await comment(client, post["id"], auth)
        path = created.headers["location"]
        assert_problem(await client.patch(path, json={"body": "x"}, headers=auth), 428)
        assert_problem(await client.delete(path, headers=auth), 428)
        conditional = {**auth, "If-Match": created.headers["etag"]}
        assert (await client.patch(path, json={"body": "x"}, headers=conditional)).status_code == 200


async def test_the_author_deletes_a_comment_and_the_post_counts_one_less(
    client: httpx.AsyncClient, post_and_people: Any, store: MemoryStore
) -> None:
    post, author, other = post_and_people
    kept = await comment(client, post["id"], author)
    gone = await comment(client, post["id"], other)

    refused = await client.delete(
        gone.headers["location"], headers=author
    )  # the post's author is no moderator
    assert_problem(refused, 403, "Only the author of a comment, a moderator or an admin may delete it")
    deleted = await client.delete(
        gone.headers["location"], headers={**other, "If-Match": gone.headers["etag"]}
    )

    assert deleted.status_code == 204
    assert_problem(await client.get(gone.headers["location"]), 404, "Comment not found")
    assert (await client.get(f"/posts/{post['id']}/comments")).json() == [kept.json()]
    assert (await client.get(f"/posts/{post['id']}")).json()["comment_count"] == 1
    assert store.audit == {}


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
async def test_moderators_and_admins_delete_any_comment_and_it_is_audited(
    client: httpx.AsyncClient, post_and_people: Any, login: Login, store: MemoryStore, role: Role
) -> None:
    post, _, other = post_and_people
    created = await comment(client, post["id"], other)
    moderator, auth = await login()
    store.users[moderator["id"]].role = role

    deleted = await client.delete(
        created.headers["location"], headers={**auth, "X-Request-ID": "moderation-1"}
    )

    assert deleted.status_code == 204, deleted.text
    (entry,) = store.audit.values()
    assert (entry.action.value, entry.target, entry.actor_id, entry.request_id) == (
        "comment.deleted",
        f"comment:{created.json()['id']}",
        moderator["id"],
        "moderation-1",
    )
    assert (await client.get(f"/posts/{post['id']}")).json()["comment_count"] == 0


async def test_every_post_view_shows_its_comment_count(
    client: httpx.AsyncClient, post_and_people: Any
) -> None:
    post, author, other = post_and_people
    quiet = await write_post(client, author)
    for _ in range(3):
        await comment(client, post["id"], other)

    one = (await client.get(f"/posts/{post['id']}")).json()
    listed = (await client.get("/posts/")).json()
    authored = (await client.get(f"/users/{post['author_id']}/posts")).json()

    assert one["comment_count"] == 3
    assert [(p["id"], p["comment_count"]) for p in listed] == [(post["id"], 3), (quiet["id"], 0)]
    assert [(p["id"], p["comment_count"]) for p in authored] == [(post["id"], 3), (quiet["id"], 0)]


async def test_a_comment_changes_the_posts_etag_but_not_its_authors_if_match(
    client: httpx.AsyncClient, post_and_people: Any
) -> None:
    post, author, other = post_and_people
    path = f"/posts/{post['id']}"
    before = (await client.get(path)).headers["etag"]
    await comment(client, post["id"], other)

    after = await client.get(path, headers={"If-None-Match": before})
    assert after.status_code == 200  # the cached copy shows another count: not current
    assert after.headers["etag"] == f'"{post["id"]}.1.1"'
    assert (await client.get(path, headers={"If-None-Match": after.headers["etag"]})).status_code == 304
    edited = await client.patch(path, json={"title": "Edited"}, headers={**author, "If-Match": before})
    assert edited.status_code == 200, edited.text  # a comment is no edit: the author's tag still holds
    assert edited.json()["comment_count"] == 1
    assert edited.headers["etag"] == f'"{post["id"]}.2.1"'


async def test_deleting_a_post_deletes_its_comments(client: httpx.AsyncClient, post_and_people: Any) -> None:
    post, author, other = post_and_people
    created = await comment(client, post["id"], other)

    assert (await client.delete(f"/posts/{post['id']}", headers=author)).status_code == 204

    assert_problem(await client.get(created.headers["location"]), 404, "Comment not found")
    assert_problem(await client.get(f"/posts/{post['id']}/comments"), 404, "Post not found")


async def test_deleting_an_account_deletes_its_comments_and_the_counts_stay_exact(
    client: httpx.AsyncClient, login: Login
) -> None:
    _, author = await login()
    payload = UserCreatePayload()
    _, leaving = await login(**payload)
    post = await write_post(client, author)
    await comment(client, post["id"], leaving)
    kept = await comment(client, post["id"], author)
    await comment(client, post["id"], leaving)

    gone = await client.request(
        "DELETE", "/users/me", json={"current_password": payload["password"]}, headers=leaving
    )

    assert gone.status_code == 204, gone.text
    assert (await client.get(f"/posts/{post['id']}/comments")).json() == [kept.json()]
    assert (await client.get(f"/posts/{post['id']}")).json()["comment_count"] == 1


async def test_a_new_name_shows_on_the_authors_comments_with_a_new_etag(
    client: httpx.AsyncClient, post_and_people: Any
) -> None:
    post, _, other = post_and_people
    created = await comment(client, post["id"], other)

    renamed = await client.patch("/users/me", json={"name": "Renamed"}, headers=other)
    assert renamed.status_code == 200, renamed.text

    fetched = await client.get(
        created.headers["location"], headers={"If-None-Match": created.headers["etag"]}
    )
    assert fetched.status_code == 200
    assert fetched.json()["author"]["name"] == "Renamed"
    assert fetched.headers["etag"] != created.headers["etag"]


def requests_counted(method: str, route: str, status: str) -> float:
    return (
        REGISTRY.get_sample_value("http_requests_total", {"method": method, "route": route, "status": status})
        or 0.0
    )


async def test_metrics_label_comment_routes_by_their_templates(
    client: httpx.AsyncClient, post_and_people: Any
) -> None:
    post, _, other = post_and_people
    labels = [
        ("POST", "/posts/{post_id}/comments", "201"),
        ("GET", "/posts/{post_id}/comments", "200"),
        ("GET", "/comments/{comment_id}", "200"),
        ("PATCH", "/comments/{comment_id}", "200"),
        ("DELETE", "/comments/{comment_id}", "204"),
        ("GET", "/comments/{comment_id}", "404"),
    ]
    await client.get("/metrics")  # requests are counted in batches, recorded when the metrics are read
    before = [requests_counted(*label) for label in labels]

    path = (await comment(client, post["id"], other)).headers["location"]
    await client.get(f"/posts/{post['id']}/comments")
    await client.get(path)
    await client.patch(path, json={"body": "Edited"}, headers=other)
    await client.delete(path, headers=other)
    await client.get(path)

    text = (await client.get("/metrics")).text
    assert [requests_counted(*label) - b for label, b in zip(labels, before, strict=True)] == [1.0] * 6
    assert f"/comments/{path.rsplit('/', 1)[1]}" not in text


COMMENTERS, COMMENTS_EACH = 10, 5


async def test_fifty_comments_written_at_once_by_ten_users_count_fifty(sql_database_url: str) -> None:
    async with sql_app(sql_database_url, limit_register_per_address="1000/minute") as app:
        client = app.client
        auths = []
        for n in range(COMMENTERS):
            payload = UserCreatePayload(email=f"commenter{n}@example.com")
            assert (await client.post("/users/", json=payload)).status_code == 201
            form = {"username": payload["email"], "password": payload["password"]}
            token = (await client.post("/auth/token", data=form)).json()["access_token"]
            auths.append({"Authorization": f"Bearer {token}"})
        post = await write_post(client, auths[0])
        path = f"/posts/{post['id']}/comments"

        responses = await asyncio.gather(
            *(
                client.post(path, json={"body": f"{n}.{i}"}, headers=auth)
                for n, auth in enumerate(auths)
                for i in range(COMMENTS_EACH)
            )
        )

        assert [r.status_code for r in responses] == [201] * COMMENTERS * COMMENTS_EACH, [
            r.text for r in responses if r.status_code != 201
        ]
        assert (await client.get(f"/posts/{post['id']}")).json()[
            "comment_count"
        ] == COMMENTERS * COMMENTS_EACH
        listed = (await client.get(path, params={"limit": 100})).json()
        assert len(listed) == COMMENTERS * COMMENTS_EACH
        assert [c["id"] for c in listed] == sorted(c["id"] for c in listed)
