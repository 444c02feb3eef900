"""The OAuth 2.0 endpoints speak RFC 6749 to standard clients: every error of `POST /auth/token` and
`POST /auth/revoke` carries `error` and `error_description` beside its problem members, with a 400 where
the RFC says so; no answer of theirs is cached; the rest of the API keeps its statuses."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from api.middleware.body_limit import MAX_BODY_BYTES
from api.problems.oauth import rfc6749_text
from application.errors import Overloaded, StorageUnavailable
from infrastructure.container import Container
from infrastructure.memory import MemoryStore
from infrastructure.settings import Settings
from tests.api.problems import assert_oauth_problem, assert_problem
from tests.api.test_openapi_contract import conforms, operations

PASSWORD = "correct horse battery"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
VALIDATION = "urn:users-posts:problem:validation-error"


@pytest.fixture
async def ada(register) -> dict[str, Any]:
    user: dict[str, Any] = await register(email="ada@example.com", password=PASSWORD)
    return user


async def sign_in(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/auth/token", data={"username": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return grant


@pytest.mark.parametrize(
    ("form", "error", "problem_type"),
    [
        (
            {"username": "ada@example.com", "password": "wrong"},
            "invalid_grant",
            "urn:users-posts:problem:invalid-credentials",
        ),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type", VALIDATION),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type", VALIDATION),
        ({"grant_type": "password", "username": "ada@example.com"}, "invalid_request", VALIDATION),
        ({"grant_type": "password", "password": PASSWORD}, "invalid_request", VALIDATION),
        ({"grant_type": "refresh_token"}, "invalid_request", VALIDATION),
        ({"grant_type": "refresh_token", "refresh_token": "A" * 129}, "invalid_request", VALIDATION),
        (
            {"grant_type": "refresh_token", "refresh_token": "A" * 43},
            "invalid_grant",
            "urn:users-posts:problem:invalid-grant",
        ),
        (
            {"username": "ada@example.com", "password": PASSWORD, "scope": "admin"},
            "invalid_scope",
            VALIDATION,
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": "A" * 43, "scope": "a b"},
            "invalid_scope",
            VALIDATION,
        ),
    ],
)
async def test_each_refused_token_request_answers_its_rfc_6749_error_with_a_400(
    client: httpx.AsyncClient, store: MemoryStore, ada, form: dict[str, str], error: str, problem_type: str
) -> None:
    response = await client.post("/auth/token", data=form)

    body = assert_oauth_problem(response, error)
    assert body["type"] == problem_type  # the problem types are those of the rest of the API
    assert body["title"] == "Bad Request"
    assert store.sessions == {}


async def test_the_description_of_a_refused_form_names_the_parameter(client: httpx.AsyncClient) -> None:
    body = assert_oauth_problem(
        await client.post("/auth/token", data={"grant_type": "x"}), "unsupported_grant_type"
    )

    assert body["errors"] == [
        {
            "loc": ["body", "grant_type"],
            "msg": "Input should be 'password' or 'refresh_token'",
            "type": "literal_error",
        }
    ]
    assert body["error_description"] == "grant_type: Input should be 'password' or 'refresh_token'"
    assert body["detail"] == "The request is not valid; see errors"


async def test_an_empty_scope_asks_for_none_and_unknown_parameters_are_ignored(
    client: httpx.AsyncClient, ada
) -> None:
    body = "username=ada%40example.com&password=correct+horse+battery&scope=&client_id=a&client_id=b"
    response = await client.post("/auth/token", content=body, headers=FORM)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        (
            "username=ada%40example.com&password=correct+horse+battery&password=correct+horse+battery",
            "password",
        ),
        ("grant_type=password&grant_type=refresh_token&username=ada%40example.com&password=x", "grant_type"),
        ("username=ada%40example.com&password=correct+horse+battery&scope=&scope=", "scope"),
    ],
)
async def test_a_repeated_token_parameter_is_invalid_request_and_starts_no_session(
    client: httpx.AsyncClient, store: MemoryStore, ada, body: str, parameter: str
) -> None:
    response = await client.post("/auth/token", content=body, headers=FORM)

    problem = assert_oauth_problem(response, "invalid_request")
    assert problem["errors"] == [
        {
            "loc": ["body", parameter],
            "msg": "The parameter is sent more than once",
            "type": "repeated_parameter",
        }
    ]
    assert problem["error_description"] == f"{parameter}: The parameter is sent more than once"
    assert store.sessions == {}


async def test_a_repeated_revoke_parameter_is_invalid_request_and_revokes_nothing(
    client: httpx.AsyncClient, ada
) -> None:
    grant = await sign_in(client)
    body = f"token={grant['refresh_token']}&token={grant['refresh_token']}"

    assert_oauth_problem(await client.post("/auth/revoke", content=body, headers=FORM), "invalid_request")
    assert_oauth_problem(await client.post("/auth/revoke", data={"token": "x" * 4097}), "invalid_request")

    refreshed = await client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text  # the session lives on


async def test_every_answer_of_the_oauth_endpoints_is_kept_out_of_caches(
    client: httpx.AsyncClient, ada
) -> None:
    grant = await sign_in(client)
    revoked = await client.post("/auth/revoke", data={"token": grant["refresh_token"]})
    token = await client.post("/auth/token", data={"username": "ada@example.com", "password": PASSWORD})
    for response in (token, revoked):
        assert response.status_code == 200
        assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")
    assert "pragma" not in (await client.get("/users/")).headers


async def test_other_routes_keep_their_422_validation_problems(client: httpx.AsyncClient) -> None:
    for response in (await client.post("/users/", json={}), await client.get("/users/not-an-id")):
        body = assert_problem(response, 422)
        assert body["type"] == VALIDATION
        assert "error" not in body
        assert "pragma" not in response.headers


@pytest.fixture
def three_failures(container: Container) -> None:
    container.settings.override(
        providers.Object(
            Settings(limit_login_per_account="3/15 minutes", limit_register_per_address="9/hour")
        )
    )


async def test_throttled_logins_keep_their_429_and_say_temporarily_unavailable(
    three_failures: None, client: httpx.AsyncClient, ada
) -> None:
    wrong = {"username": "ada@example.com", "password": "guess"}
    for _ in range(3):
        assert_oauth_problem(await client.post("/auth/token", data=wrong), "invalid_grant")

    throttled = await client.post("/auth/token", data=wrong)

    body = assert_oauth_problem(throttled, "temporarily_unavailable", status=429)
    assert body["type"] == "urn:users-posts:problem:rate-limited"
    assert int(throttled.headers["retry-after"]) >= 1


class Raising:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def __call__(self, *args: object) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("provider", "error", "problem_type"),
    [
        (
            "auth.Authenticate",
            Overloaded("The server is busy checking passwords; try again shortly", 1),
            "overloaded",
        ),
        ("sessions.RefreshSession", StorageUnavailable("down"), "storage-unavailable"),
        ("sessions.RevokeToken", StorageUnavailable("down"), "storage-unavailable"),
    ],
)
async def test_outages_keep_their_503_and_say_temporarily_unavailable(
    container: Container, client: httpx.AsyncClient, provider: str, error: Exception, problem_type: str
) -> None:
    group, use_case = provider.split(".")
    getattr(getattr(container, group), use_case).override(providers.Object(Raising(error)))
    requests = {
        "auth.Authenticate": ("/auth/token", {"username": "ada@example.com", "password": PASSWORD}),
        "sessions.RefreshSession": (
            "/auth/token",
            {"grant_type": "refresh_token", "refresh_token": "A" * 43},
        ),
        "sessions.RevokeToken": ("/auth/revoke", {"token": "A" * 43}),
    }
    path, form = requests[provider]

    response = await client.post(path, data=form)

    body = assert_oauth_problem(response, "temporarily_unavailable", status=503)
    assert body["type"] == f"urn:users-posts:problem:{problem_type}"
    assert "retry-after" in response.headers


async def test_an_unexpected_failure_is_a_500_server_error(
    container: Container, client: httpx.AsyncClient
) -> None:
    container.auth.Authenticate.override(providers.Object(Raising(RuntimeError("secret internals"))))
    response = await client.post("/auth/token", data={"username": "ada@example.com", "password": PASSWORD})
    assert_oauth_problem(response, "server_error", status=500)
    assert "secret" not in response.text


async def test_refusals_before_the_route_say_invalid_request(client: httpx.AsyncClient) -> None:
    huge = b"username=" + b"x" * MAX_BODY_BYTES
    assert_oauth_problem(await client.post("/auth/token", content=huge, headers=FORM), "invalid_request", 413)

    async def stream() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts what arrives
        for _ in range(4):
            yield b"x" * (MAX_BODY_BYTES // 2)

    streamed = await client.post("/auth/revoke", content=stream(), headers=FORM)
    assert_oauth_problem(streamed, "invalid_request", 413)
    assert_oauth_problem(await client.get("/auth/token"), "invalid_request", 405)
    not_a_form = await client.post(
        "/auth/token", content=b"--x\r\n", headers={"Content-Type": "multipart/form-data"}
    )
    assert_oauth_problem(not_a_form, "invalid_request")


def test_descriptions_keep_to_the_characters_rfc_6749_allows() -> None:
    assert rfc6749_text('say "no" \\ café\n') == "say 'no' ? caf??"
    assert rfc6749_text("Incorrect email or password") == "Incorrect email or password"


async def test_the_documented_errors_carry_their_rfc_6749_error_and_no_answer_is_cached(
    client: httpx.AsyncClient,
) -> None:
    spec: dict[str, Any] = (await client.get("/openapi.json")).json()
    shown: dict[str, set[str]] = {}
    for name in ("auth-token", "auth-revoke"):
        for status, response in operations(spec)[name]["responses"].items():
            assert {"Cache-Control", "Pragma"} <= response["headers"].keys(), (name, status)
            if int(status) < 400:
                continue
            media = response["content"]["application/problem+json"]
            for example in media["examples"].values():
                assert conforms(spec, media["schema"], example["value"]), (name, example)
                assert example["value"]["status"] == int(status)
                shown.setdefault(name, set()).add(example["value"]["error"])
    assert shown["auth-token"] == {
        "invalid_request",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_grant",
        "temporarily_unavailable",
    }
    assert shown["auth-revoke"] == {"invalid_request", "temporarily_unavailable"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
