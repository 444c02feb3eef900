"""A consumer's view of the contract: a Python client generated from the app's own OpenAPI schema with
openapi-python-client, driven against the app. Every documented error must parse into a typed model."""

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app

PACKAGE = "users_posts_client"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the schema into a temporary directory, imported."""
    root = tmp_path_factory.mktemp("client")
    spec = root / "openapi.json"
    spec.write_text(json.dumps(create_app().openapi()))
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatting pass over the generated code: it is thrown away
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = [str(generator), "generate", "--path", str(spec), "--meta", "none", "--config", str(config)]
    command += ["--output-path", str(root / PACKAGE)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_the_generated_client_reads_successes_and_problems(generated: ModuleType, app: FastAPI) -> None:
    models = module("models")
    users_create, users_get = module("api.users.users_create"), module("api.users.users_get")
    auth_token = module("api.auth.auth_token")
    posts_create, posts_get = module("api.posts.posts_create"), module("api.posts.posts_get")
    posts_update = module("api.posts.posts_update")
    transport = {"transport": httpx.ASGITransport(app=app)}
    client = generated.Client(base_url="http://testserver", httpx_args=transport)
    ada = models.UserCreate(name="Ada", email="ada@example.com", password=PASSWORD)

    registered = (await users_create.asyncio_detailed(client=client, body=ada)).parsed
    duplicate = await users_create.asyncio_detailed(client=client, body=ada)
    login = models.BodyAuthToken(username="ada@example.com", password=PASSWORD)
    token = await auth_token.asyncio(client=client, body=login)
    assert isinstance(token, models.Token)
    authenticated = generated.AuthenticatedClient(
        base_url="http://testserver", token=token.access_token, httpx_args=transport
    )
    post = models.PostCreate(title="Hi", content="x")
    key = "5f1c2e0a-retry-safe"
    first = await posts_create.asyncio_detailed(client=authenticated, body=post, idempotency_key=key)
    retried = await posts_create.asyncio_detailed(client=authenticated, body=post, idempotency_key=key)
    created = first.parsed
    assert isinstance(created, models.PostRead)
    read = await posts_get.asyncio(client=client, post_id=created.id)
    etag = first.headers["ETag"]
    edit = models.PostUpdate(title="Edited")
    edited = await posts_update.asyncio_detailed(
        client=authenticated, post_id=created.id, body=edit, if_match=etag
    )
    stale = await posts_update.asyncio_detailed(
        client=authenticated, post_id=created.id, body=edit, if_match=etag
    )
    unknown = await users_get.asyncio_detailed(client=client, user_id=999)
    short_password = models.UserCreate(name="Bob", email="bob@example.com", password="short")
    invalid = await users_create.asyncio_detailed(client=client, body=short_password)

    assert isinstance(registered, models.UserRead)
    assert registered.email == "ada@example.com"
    assert duplicate.status_code == 409
    assert isinstance(duplicate.parsed, models.Problem)
    assert duplicate.parsed.detail == "A user with this email is already registered"
    assert duplicate.parsed.instance == "/users/"
    assert isinstance(read, models.PostDetail)
    assert (read.title, read.author.id, read.author.name) == ("Hi", registered.id, "Ada")
    assert isinstance(retried.parsed, models.PostRead)
    assert (retried.status_code, retried.parsed.id) == (201, created.id)  # one post, the first answer
    assert retried.headers["Location"] == first.headers["Location"] == f"/posts/{created.id}"
    assert edited.status_code == 200
    assert isinstance(edited.parsed, models.PostRead)
    assert edited.headers["ETag"] != etag
    assert stale.status_code == 412  # the tag it names is no longer current
    assert isinstance(stale.parsed, models.Problem)
    assert stale.parsed.detail == "The post has changed since the version given"
    assert unknown.status_code == 404
    assert isinstance(unknown.parsed, models.Problem)
    assert unknown.parsed.detail == "User not found"
    assert invalid.status_code == 422
    assert isinstance(invalid.parsed, models.ValidationProblem)
    (error,) = invalid.parsed.errors
    assert isinstance(error, models.FieldError)
    assert (error.loc, error.type_) == (["body", "password"], "string_too_short")


async def test_the_generated_client_refreshes_revokes_and_reads_invalid_grant(
    generated: ModuleType, app: FastAPI
) -> None:
    models = module("models")
    users_create, auth_token = module("api.users.users_create"), module("api.auth.auth_token")
    auth_revoke, sessions_list = module("api.auth.auth_revoke"), module("api.me.me_sessions_list")
    transport = {"transport": httpx.ASGITransport(app=app)}
    client = generated.Client(base_url="http://testserver", httpx_args=transport)
    await users_create.asyncio(
        client=client, body=models.UserCreate(name="Ada", email="ada@example.com", password=PASSWORD)
    )
    login = await auth_token.asyncio(
        client=client, body=models.BodyAuthToken(username="ada@example.com", password=PASSWORD)
    )
    assert isinstance(login, models.Token)

    refresh = models.BodyAuthToken(
        grant_type=models.BodyAuthTokenGrantType("refresh_token"), refresh_token=login.refresh_token
    )
    refreshed = await auth_token.asyncio(client=client, body=refresh)
    replayed = await auth_token.asyncio_detailed(client=client, body=refresh)
    authenticated = generated.AuthenticatedClient(
        base_url="http://testserver", token=refreshed.access_token, httpx_args=transport
    )
    sessions = await sessions_list.asyncio(client=authenticated)
    revoked = await auth_revoke.asyncio_detailed(
        client=client, body=models.BodyAuthRevoke(token=refreshed.refresh_token)
    )

    assert isinstance(refreshed, models.Token)
    assert refreshed.refresh_token != login.refresh_token
    assert replayed.status_code == 400
    assert isinstance(replayed.parsed, models.OAuthProblem)
    assert replayed.parsed.error == models.OAuthError.INVALID_GRANT
    assert isinstance(sessions, list)
    assert [(type(s), s.current) for s in sessions] == [(models.SessionRead, True)]
    assert revoked.status_code == 200


async def test_the_generated_client_comments_on_a_post_pages_and_reads_problems(
    generated: ModuleType, app: FastAPI
) -> None:
    models = module("models")
    users_create, auth_token = module("api.users.users_create"), module("api.auth.auth_token")
    posts_create, posts_get = module("api.posts.posts_create"), module("api.posts.posts_get")
    comments_create, comments_list = (
        module("api.comments.comments_create"),
        module("api.comments.comments_list"),
    )
    comments_get, comments_update = (
        module("api.comments.comments_get"),
        module("api.comments.comments_update"),
    )
    comments_delete = module("api.comments.comments_delete")
    transport = {"transport": httpx.ASGITransport(app=app)}
    client = generated.Client(base_url="http://testserver", httpx_args=transport)
    await users_create.asyncio(
        client=client, body=models.UserCreate(name="Ada", email="ada@example.com", password=PASSWORD)
    )
    login = await auth_token.asyncio(
        client=client, body=models.BodyAuthToken(username="ada@example.com", password=PASSWORD)
    )
    authenticated = generated.AuthenticatedClient(
        base_url="http://testserver", token=login.access_token, httpx_args=transport
    )
    post = await posts_create.asyncio(client=authenticated, body=models.PostCreate(title="Hi", content="x"))

    first = await comments_create.asyncio_detailed(
        client=authenticated, post_id=post.id, body=models.CommentCreate(body="One"), idempotency_key="c-1"
    )
    await comments_create.asyncio(
        client=authenticated, post_id=post.id, body=models.CommentCreate(body="Two")
    )
    page = await comments_list.asyncio_detailed(client=client, post_id=post.id, limit=1)
    created = first.parsed
    assert isinstance(created, models.CommentRead)
    edited = await comments_update.asyncio_detailed(
        client=authenticated,
        comment_id=created.id,
        body=models.CommentUpdate(body="One, edited"),
        if_match=first.headers["ETag"],
    )
    read = await comments_get.asyncio(client=client, comment_id=created.id)
    deleted = await comments_delete.asyncio_detailed(client=authenticated, comment_id=created.id)
    gone = await comments_get.asyncio_detailed(client=client, comment_id=created.id)
    unknown_post = await comments_list.asyncio_detailed(client=client, post_id=post.id + 1)
    counted = await posts_get.asyncio(client=client, post_id=post.id)

    assert (created.body, created.post_id, created.author.id, created.author.name) == (
        "One",
        post.id,
        1,
        "Ada",
    )
    assert isinstance(page.parsed, list)
    assert [type(c) for c in page.parsed] == [models.CommentRead]
    assert page.headers["Link"] == f'</posts/{post.id}/comments?limit=1&after={created.id}>; rel="next"'
    assert edited.status_code == 200
    assert isinstance(read, models.CommentRead)
    assert read.body == "One, edited"
    assert deleted.status_code == 204
    assert isinstance(gone.parsed, models.Problem)
    assert gone.parsed.detail == "Comment not found"
    assert isinstance(unknown_post.parsed, models.Problem)
    assert unknown_post.parsed.detail == "Post not found"
    assert isinstance(counted, models.PostDetail)
    assert counted.comment_count == 1
