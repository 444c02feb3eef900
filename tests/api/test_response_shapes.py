"""Read endpoints write their JSON with orjson from plain data; it must be byte for byte what their
documented pydantic response model would have written."""

from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from api.schemas.posts import PostDetail, PostRead
from api.schemas.users import UserPublic, UserRead
from tests.fakes import FixedClock


@pytest.fixture
async def data(client: httpx.AsyncClient, login, clock: FixedClock) -> dict[str, Any]:
    user, auth = await login(name='Zoë \u00e9\u4e2d \U0001f600 "quoted" \\ /')
    clock.advance(microseconds=123_456)  # one timestamp with microseconds, one without
    post = (
        await client.post(
            "/posts/", json={"title": "T\u00eftle", "content": "line\n\ttab \u00a0end"}, headers=auth
        )
    ).json()
    return {"user": user, "post": post, "auth": auth}


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/users/", list[UserPublic]),
        ("/users/{user}", UserPublic),
        ("/users/me", UserRead),
        ("/users/{user}/posts", list[PostRead]),
        ("/posts/", list[PostRead]),
        ("/posts/{post}", PostDetail),
    ],
)
async def test_json_is_what_the_response_model_writes(
    client: httpx.AsyncClient, data: dict[str, Any], path, model
) -> None:
    url = path.format(user=data["user"]["id"], post=data["post"]["id"])

    response = await client.get(url, headers=data["auth"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    adapter = TypeAdapter(model)
    assert adapter.dump_json(adapter.validate_json(response.content)) == response.content
    assert response.content  # and it is not empty: the lists hold the user and the post
    assert (b"123456Z" in response.content) == ("post" in url or url.endswith("/posts/"))
