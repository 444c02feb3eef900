import json
from collections.abc import AsyncIterator

import httpx
from dependency_injector import providers

from api.middleware.body_limit import MAX_BODY_BYTES
from application.errors import StorageUnavailable
from domain.posts import CONTENT_MAX_LENGTH
from infrastructure.container import Container
from tests.api.problems import assert_problem


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/nowhere"), 404, "Not Found")


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/users/")
    assert_problem(response, 405, "Method Not Allowed")
    assert response.headers["allow"] == "GET, POST"
    assert (await client.put("/posts/1")).headers["allow"] == "GET, PATCH, DELETE"


class Exploding:
    async def __call__(self, *args: object) -> None:
        raise RuntimeError("secret internals: password=hunter2")


async def test_unexpected_errors_are_500_problems_without_internals(
    container: Container, client: httpx.AsyncClient
) -> None:
    container.users.GetUser.override(providers.Object(Exploding()))

    response = await client.get("/users/1")

    body = assert_problem(response, 500, "An unexpected error occurred")
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    assert body["title"] == "Internal Server Error"


async def test_storage_outage_is_a_503_problem_with_retry_after(
    container: Container, client: httpx.AsyncClient
) -> None:
    class Unavailable:
        async def __call__(self, *args: object) -> None:
            raise StorageUnavailable("down")

    container.users.ListUsers.override(providers.Object(Unavailable()))

    response = await client.get("/users/")

    assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"


async def test_liveness(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readiness_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readiness_is_503_when_the_database_does_not_answer(
    container: Container, client: httpx.AsyncClient
) -> None:
    class RefusingDatabase:
        async def ping(self) -> None:
            raise ConnectionRefusedError("connection refused")

    container.database.override(providers.Object(RefusingDatabase()))

    assert_problem(await client.get("/health/ready"), 503)


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


async def test_no_response_schema_has_a_password_or_hash(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    responses = [op["responses"] for path in spec["paths"].values() for op in path.values()]
    names, pending = set(), _refs(responses)
    while pending:  # every schema a response can contain, nested ones included
        name = pending.pop()
        names.add(name)
        pending |= _refs(schemas[name]) - names

    assert {"UserRead", "PostRead", "PostDetail", "Token"} <= names
    for name in names:
        fields = schemas[name].get("properties", {})
        assert not any("password" in field or "hash" in field for field in fields), name


async def test_docs_are_served_without_a_cdn(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    script = page.text.split('<script src="')[1].split('"')[0]
    asset = await client.get(script)
    assert asset.status_code == 200
    assert len(asset.content) > 100_000


async def test_oversized_bodies_are_413_problems_and_store_nothing(client: httpx.AsyncClient, store) -> None:
    huge = b'{"name": "' + b"x" * MAX_BODY_BYTES + b'"}'
    declared = await client.post("/users/", content=huge, headers={"content-type": "application/json"})
    assert_problem(declared, 413)

    async def stream() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts what arrives
        for _ in range(4):
            yield b"x" * (MAX_BODY_BYTES // 2)

    streamed = await client.post("/users/", content=stream(), headers={"content-type": "application/json"})
    assert_problem(streamed, 413)
    assert store.users == {}


async def test_the_largest_valid_post_fits_under_the_body_limit(client: httpx.AsyncClient, login) -> None:
    _, auth = await login()
    content = "\u2603" * CONTENT_MAX_LENGTH
    body = json.dumps({"title": "Snow", "content": content}, ensure_ascii=True)  # 6 bytes a character
    headers = {**auth, "content-type": "application/json"}
    response = await client.post("/posts/", content=body, headers=headers)
    assert response.status_code == 201
    assert response.json()["content"] == content
