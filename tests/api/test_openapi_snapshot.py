"""The OpenAPI document keeps what it had at d28c5a0: every path and method with its operation id, its
documented statuses, and the component schemas its request body and responses name; and every component
schema. Later work may add to it (a superset passes), never take away.

`openapi_d28c5a0.json` is `summary()` of the document the app served at d28c5a0, made once, on a checkout
of d28c5a0 with this module added, with:

    .venv/bin/python -c 'import json; from api.app import create_app; \
        from tests.api.test_openapi_snapshot import summary; \
        print(json.dumps(summary(create_app().openapi()), indent=2, sort_keys=True))' \
        > tests/api/openapi_d28c5a0.json

Never regenerate it: it is the reference the current document is held against. What was taken away on
purpose is listed in TAKEN_AWAY, with where the reason is written."""

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

SNAPSHOT = Path(__file__).with_name("openapi_d28c5a0.json")
SCHEMA_REF = "#/components/schemas/"
# The OAuth 2.0 endpoints answer RFC 6749's errors: a 400 where they answered 401, 403 or 422, each error
# an OAuthProblem (a Problem with `error` and `error_description`): docs/api.md, "OAuth 2.0 token
# endpoint errors".
TAKEN_AWAY = {
    *(f"POST /auth/token: status {status}" for status in (401, 403, 422)),
    *(f"POST /auth/token: {status} Problem" for status in (400, 413, 429, 503)),
    "POST /auth/revoke: status 422",
    *(f"POST /auth/revoke: {status} Problem" for status in (400, 413, 503)),
}


def schema_names(node: Any) -> Iterator[str]:
    """The component schemas a schema refers to, wherever the `$ref` sits (array items, anyOf…)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            yield ref.removeprefix(SCHEMA_REF)
        for value in node.values():
            yield from schema_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_names(value)


def content_schemas(part: dict[str, Any]) -> list[str]:
    """The schema names of a request body's or a response's content, over all its media types."""
    media = part.get("content", {}).values()
    return sorted({name for medium in media for name in schema_names(medium.get("schema", {}))})


def summary(document: dict[str, Any]) -> dict[str, Any]:
    """What the snapshot keeps of an OpenAPI document."""
    return {
        "paths": {
            path: {
                method: {
                    "operationId": operation["operationId"],
                    "requestBody": content_schemas(operation.get("requestBody", {})),
                    "responses": {
                        status: content_schemas(response)
                        for status, response in operation["responses"].items()
                    },
                }
                for method, operation in operations.items()
            }
            for path, operations in document["paths"].items()
        },
        "schemas": sorted(document["components"]["schemas"]),
    }


def missing_from(current: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """What `reference` (a summary) has that `current` (a summary) lacks, one line each."""
    missing = [f"schema {name}" for name in reference["schemas"] if name not in current["schemas"]]
    for path, operations in reference["paths"].items():
        for method, was in operations.items():
            where = f"{method.upper()} {path}"
            now = current["paths"].get(path, {}).get(method)
            if now is None:
                missing.append(f"{where}: the operation")
                continue
            if now["operationId"] != was["operationId"]:
                missing.append(f"{where}: operation id {was['operationId']} (now {now['operationId']})")
            missing += [
                f"{where}: request body {n}" for n in was["requestBody"] if n not in now["requestBody"]
            ]
            for status, names in was["responses"].items():
                if status not in now["responses"]:
                    missing.append(f"{where}: status {status}")
                    continue
                missing += [f"{where}: {status} {n}" for n in names if n not in now["responses"][status]]
    return missing


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SNAPSHOT.read_text())
    return loaded


async def test_the_document_keeps_everything_it_had_at_d28c5a0(
    spec: dict[str, Any], reference: dict[str, Any]
) -> None:
    missing = missing_from(summary(spec), reference)
    assert [loss for loss in missing if loss not in TAKEN_AWAY] == []
    assert set(missing) >= TAKEN_AWAY  # each exception stands for a loss that is still one


def _drop_operation(document: dict[str, Any]) -> None:
    del document["paths"]["/posts/{post_id}"]["delete"]


def _rename_operation(document: dict[str, Any]) -> None:
    document["paths"]["/users/"]["post"]["operationId"] = "createUser"


def _drop_status(document: dict[str, Any]) -> None:
    del document["paths"]["/users/me"]["patch"]["responses"]["412"]


def _unname_array_items(document: dict[str, Any]) -> None:
    schema = document["paths"]["/users/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    schema["items"] = {"type": "object"}


def _inline_request_body(document: dict[str, Any]) -> None:
    document["paths"]["/posts/"]["post"]["requestBody"]["content"]["application/json"]["schema"] = {}


def _drop_schema(document: dict[str, Any]) -> None:
    del document["components"]["schemas"]["AuditEntryRead"]


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (_drop_operation, "DELETE /posts/{post_id}: the operation"),
        (_rename_operation, "POST /users/: operation id users-create (now createUser)"),
        (_drop_status, "PATCH /users/me: status 412"),
        (_unname_array_items, "GET /users/: 200 UserPublic"),
        (_inline_request_body, "POST /posts/: request body PostCreate"),
        (_drop_schema, "schema AuditEntryRead"),
    ],
)
async def test_a_loss_is_reported(
    spec: dict[str, Any],
    reference: dict[str, Any],
    change: Callable[[dict[str, Any]], None],
    reported: str,
) -> None:
    changed = copy.deepcopy(spec)
    change(changed)

    assert reported in missing_from(summary(changed), reference)
