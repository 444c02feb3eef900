"""The OpenAPI document: FastAPI's, with the problem schemas every error response refers to."""

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from api.openapi.problem_responses import SCHEMA_REF
from api.problems.schemas import OAuthProblem, Problem, ValidationProblem


def problem_schemas() -> dict[str, Any]:
    """`Problem`, `ValidationProblem`, `OAuthProblem` and what they contain, as OpenAPI component
    schemas."""
    _, schemas = models_json_schema(
        [(Problem, "serialization"), (ValidationProblem, "serialization"), (OAuthProblem, "serialization")],
        ref_template=SCHEMA_REF + "{model}",
    )
    defs: dict[str, Any] = schemas["$defs"]
    return defs


def with_problem_schemas(app: FastAPI, *, paths: Sequence[str]) -> Callable[[], dict[str, Any]]:
    """`app.openapi` whose components also hold the problem schemas (the error responses refer to them
    by `$ref` under `application/problem+json`, which FastAPI's `model=` cannot do), its paths in the
    order of `paths` (the routers' declaration order, not the order the app tries its routes in)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            documented = schema.get("paths", {})
            schema["paths"] = {path: documented[path] for path in dict.fromkeys(paths) if path in documented}
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(problem_schemas())
            _strings_for_optional_headers(schema)
            _without_fastapi_validation_errors(schema["paths"], components)
        return app.openapi_schema or {}

    return openapi


def _strings_for_optional_headers(schema: dict[str, Any]) -> None:
    """An optional header (`str | None = None`) is documented as a string, not "a string or null": a
    header is either sent, as text, or not sent at all."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                kinds = parameter["schema"].get("anyOf")
                if parameter["in"] == "header" and kinds and {"type": "null"} in kinds and len(kinds) == 2:
                    del parameter["schema"]["anyOf"]
                    parameter["schema"].update(next(kind for kind in kinds if kind != {"type": "null"}))


def _without_fastapi_validation_errors(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """FastAPI documents a 422 `HTTPValidationError` for an operation taking parameters that documents
    no 422 itself; such an operation answers none (an OAuth endpoint answers a 400 `invalid_request`)."""
    fastapi_422 = {"$ref": SCHEMA_REF + "HTTPValidationError"}
    for operations in paths.values():
        for operation in operations.values():
            invalid = operation["responses"].get("422", {}).get("content", {}).get("application/json", {})
            if invalid.get("schema") == fastapi_422:
                del operation["responses"]["422"]
    if components.pop("HTTPValidationError", None) is not None:
        components.pop("ValidationError", None)  # FastAPI's, which only HTTPValidationError refers to
