"""The OpenAPI document as generated clients read it: stable operation ids, every error documented as the
problem+json actually sent, the statuses each operation can answer, and examples that match their
schemas."""

import json
from typing import Any

import httpx
import jsonschema_rs
from fastapi import Request
from fastapi.exceptions import RequestValidationError

from api.problems.handlers import _request_validation_error
from tests.api.problems import assert_problem

OPERATIONS = {
    ("post", "/users/"): "users-create",
    ("get", "/users/"): "users-list",
    ("get", "/users/{user_id}"): "users-get",
    ("get", "/users/{user_id}/posts"): "users-posts-list",
    ("post", "/auth/token"): "auth-token",
    ("get", "/users/me"): "me-get",
    ("patch", "/users/me"): "me-update",
    ("delete", "/users/me"): "me-delete",
    ("post", "/users/me/sign-out"): "me-sign-out",
    ("post", "/posts/"): "posts-create",
    ("get", "/posts/"): "posts-list",
    ("get", "/posts/{post_id}"): "posts-get",
    ("patch", "/posts/{post_id}"): "posts-update",
    ("delete", "/posts/{post_id}"): "posts-delete",
    ("post", "/posts/{post_id}/comments"): "comments-create",
    ("get", "/posts/{post_id}/comments"): "comments-list",
    ("get", "/comments/{comment_id}"): "comments-get",
    ("patch", "/comments/{comment_id}"): "comments-update",
    ("delete", "/comments/{comment_id}"): "comments-delete",
    ("post", "/auth/revoke"): "auth-revoke",
    ("get", "/users/me/sessions"): "me-sessions-list",
    ("delete", "/users/me/sessions/{session_id}"): "me-sessions-delete",
    ("get", "/admin/users"): "admin-users-list",
    ("patch", "/admin/users/{user_id}"): "admin-users-update",
    ("post", "/admin/users/{user_id}/suspend"): "admin-users-suspend",
    ("post", "/admin/users/{user_id}/reinstate"): "admin-users-reinstate",
    ("get", "/admin/audit"): "admin-audit-list",
    ("get", "/health/live"): "health-live",
    ("get", "/health/ready"): "health-ready",
    ("post", "/auth/password-reset"): "auth-password-reset",
    ("post", "/auth/password-reset/confirm"): "auth-password-reset-confirm",
    ("post", "/auth/verify-email"): "auth-verify-email",
    ("post", "/users/me/verification-email"): "me-verification-email",
    ("post", "/auth/session"): "auth-session",
    ("post", "/auth/session/refresh"): "auth-session-refresh",
    ("delete", "/auth/session"): "auth-session-end",
}
THROTTLED = {
    "users-create",
    "auth-token",
    "posts-create",
    "comments-create",
    "me-update",
    "me-delete",
    "auth-password-reset",
    "auth-password-reset-confirm",
    "auth-verify-email",
    "me-verification-email",
    "auth-session",
}

# RFC 6749 endpoints (and the sign-out sharing the path of the cookie login): every error is an
# OAuthProblem, a refused form a 400 (invalid_request), never a 422.
OAUTH = {"auth-token", "auth-revoke", "auth-session", "auth-session-end"}


def operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for ops in spec["paths"].values() for op in ops.values()}


def conforms(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    return jsonschema_rs.validator_for({**schema, "components": spec["components"]}).is_valid(value)


async def test_operation_ids_are_chosen_names(spec: dict[str, Any]) -> None:
    found = {
        (method, path): op["operationId"] for path, ops in spec["paths"].items() for method, op in ops.items()
    }
    assert found == OPERATIONS


async def test_every_error_is_documented_as_the_problem_json_sent(spec: dict[str, Any]) -> None:
    for name, op in operations(spec).items():
        for status, response in op["responses"].items():
            content = response.get("content", {})
            if int(status) < 400:
                assert set(content) <= {"application/json"}, (name, status)
                continue
            model = "OAuthProblem" if name in OAUTH else "ValidationProblem" if status == "422" else "Problem"
            assert content.keys() == {"application/problem+json"}, (name, status)
            assert content["application/problem+json"]["schema"] == {"$ref": f"#/components/schemas/{model}"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_the_problem_schemas_say_what_is_sent(spec: dict[str, Any]) -> None:
    problem, invalid = (
        spec["components"]["schemas"]["Problem"],
        spec["components"]["schemas"]["ValidationProblem"],
    )
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    assert problem["properties"]["request_id"]["type"] == "string"  # optional, never null
    assert set(invalid["required"]) == set(problem["required"]) | {"errors"}
    assert invalid["properties"]["errors"]["maxItems"] == 20


async def test_each_operation_documents_the_statuses_it_can_answer(spec: dict[str, Any]) -> None:
    for name, op in operations(spec).items():
        statuses = {int(status) for status in op["responses"]}
        if name != "health-live":
            assert 503 in statuses, name
            assert "Retry-After" in op["responses"]["503"]["headers"], name
        if "security" in op:
            assert 401 in statuses, name
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"], name
        if name in OAUTH and "requestBody" in op:
            assert {400, 413} <= statuses, name
            assert 422 not in statuses, name
        elif "requestBody" in op:
            assert {400, 413, 422} <= statuses, name
        if op.get("parameters"):
            assert 422 in statuses, name
        assert (429 in statuses) == (name in THROTTLED), name
        if name in THROTTLED:
            assert "Retry-After" in op["responses"]["429"]["headers"], name
    paged_lists = ("users-list", "users-posts-list", "posts-list", "comments-list", "admin-users-list")
    for paged in (*paged_lists, "admin-audit-list"):
        assert "Link" in operations(spec)[paged]["responses"]["200"]["headers"], paged
    assert 403 in {int(s) for s in operations(spec)["me-update"]["responses"]}
    assert 403 in {int(s) for s in operations(spec)["posts-update"]["responses"]}
    for name in ("comments-create", "comments-update", "comments-delete"):
        assert 403 in {int(s) for s in operations(spec)[name]["responses"]}, name


async def test_examples_match_their_schemas(spec: dict[str, Any]) -> None:
    checked = 0
    for name, op in operations(spec).items():
        bodies = [*op["responses"].values(), op.get("requestBody", {})]
        for body in bodies:
            for media in body.get("content", {}).values():
                if "example" in media:
                    assert conforms(spec, media["schema"], media["example"]), (name, media["example"])
                    checked += 1
    assert checked > 50  # the main operations show a request and a response, and every problem one


# The operations that hash or verify a password (503 "overloaded" when hashing is saturated), and those
# that exist to send mail (503 "mail-unavailable" with mail off).
HASHING = {
    "users-create",
    "auth-token",
    "auth-session",
    "me-update",
    "me-delete",
    "auth-password-reset-confirm",
}
MAILING = {"auth-password-reset", "me-verification-email"}


async def test_a_503_shows_each_problem_type_it_stands_for(spec: dict[str, Any]) -> None:
    shown = 0
    for name, op in operations(spec).items():
        if "503" not in op["responses"]:
            continue
        media = op["responses"]["503"]["content"]["application/problem+json"]
        values = (
            [example["value"] for example in media["examples"].values()]
            if "examples" in media
            else [media["example"]]
        )
        types = {value["type"] for value in values}
        assert "urn:users-posts:problem:storage-unavailable" in types, name
        assert ("urn:users-posts:problem:overloaded" in types) == (name in HASHING), name
        assert ("urn:users-posts:problem:mail-unavailable" in types) == (name in MAILING), name
        for value in values:
            assert conforms(spec, media["schema"], value), (name, value)
        shown += 1
    assert shown >= 12


async def test_a_422_lists_at_most_20_errors() -> None:
    thirty = [{"loc": ("body", f"field{i}"), "msg": "Field required", "type": "missing"} for i in range(30)]
    request = Request({"type": "http", "method": "POST", "path": "/users/", "headers": []})

    response = await _request_validation_error(request, RequestValidationError(thirty))

    assert [e["loc"] for e in json.loads(bytes(response.body))["errors"]] == [
        ["body", f"field{i}"] for i in range(20)
    ]


async def test_patch_bodies_document_no_null(spec: dict[str, Any]) -> None:
    for name in ("PostUpdate", "UserUpdate"):
        for field, schema in spec["components"]["schemas"][name]["properties"].items():
            assert "null" not in str(schema), (name, field)
            assert "default" not in schema, (name, field)


async def test_a_patch_field_given_as_null_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, login
) -> None:
    _user, auth = await login()
    post = (await client.post("/posts/", json={"title": "Kept", "content": "x"}, headers=auth)).json()

    response = await client.patch(f"/posts/{post['id']}", json={"title": None, "content": "y"}, headers=auth)

    problem = assert_problem(response, 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(["body", "title"], "value_error")]
    assert (await client.get(f"/posts/{post['id']}")).json()["content"] == "x"


async def test_the_user_update_schema_refuses_what_the_service_refuses(spec: dict[str, Any]) -> None:
    schema = {"$ref": "#/components/schemas/UserUpdate"}
    password = "a new password"

    assert conforms(spec, schema, {"name": "Ada"})
    assert conforms(spec, schema, {"password": password, "current_password": "the old one"})
    assert not conforms(spec, schema, {"password": password})  # needs current_password: a 422
    assert not conforms(spec, schema, {"current_password": "the old one"})  # changes nothing: a 422
    assert not conforms(spec, schema, {"name": None})


async def test_conditional_and_idempotent_requests_are_documented(spec: dict[str, Any]) -> None:
    ops = operations(spec)

    def headers_in(name: str) -> set[str]:
        return {p["name"] for p in ops[name].get("parameters", ()) if p["in"] == "header"}

    for name in ("posts-get", "users-get", "me-get", "comments-get"):
        assert "If-None-Match" in headers_in(name), name
        assert "ETag" in ops[name]["responses"]["200"]["headers"], name
        assert "ETag" in ops[name]["responses"]["304"]["headers"], name
        assert "content" not in ops[name]["responses"]["304"], name
    for name in ("posts-update", "posts-delete", "me-update", "comments-update", "comments-delete"):
        assert "If-Match" in headers_in(name), name
        assert {"400", "412", "428"} <= set(ops[name]["responses"]), name
    for name in ("posts-update", "me-update", "comments-update"):
        assert "ETag" in ops[name]["responses"]["200"]["headers"], name
    for name in ("posts-create", "users-create", "comments-create"):
        assert "Idempotency-Key" in headers_in(name), name
        assert {"Location", "ETag"} <= set(ops[name]["responses"]["201"]["headers"]), name
        assert {"400", "409", "422"} <= set(ops[name]["responses"]), name
    for parameter in (p for op in ops.values() for p in op.get("parameters", ()) if p["in"] == "header"):
        assert parameter["schema"]["type"] == "string"  # sent as text, or not at all: never null
        assert "pattern" in parameter["schema"]
