"""OpenAPI-wide settings: operation ids, tags, and the problem schemas every error response refers to."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema

from api.problems import SCHEMA_REF, Problem, ValidationProblem

TAGS = [
    {"name": "users", "description": "Registration and public profiles, with each user's posts."},
    {
        "name": "auth",
        "description": "OAuth2: trade an email and password for a bearer token and a refresh token; "
        "refresh (rotating the refresh token); revoke.",
    },
    {"name": "me", "description": "The caller's own account (bearer token required)."},
    {"name": "posts", "description": "Posts: anyone reads, the author writes; moderators and admins delete."},
    {
        "name": "admin",
        "description": "Admins only (`x-required-role: admin`): users with emails, roles and suspensions; "
        "role changes; suspension; the audit log. Others get a 403 problem.",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
]


def operation_id(route: APIRoute) -> str:
    """`<tag>-<route name>`, e.g. `users-create`: stable names for generated clients (each route names
    itself with `name=`)."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def problem_schemas() -> dict[str, Any]:
    """`Problem`, `ValidationProblem` and what they contain, as OpenAPI component schemas."""
    _, schemas = models_json_schema(
        [(Problem, "serialization"), (ValidationProblem, "serialization")],
        ref_template=SCHEMA_REF + "{model}",
    )
    defs: dict[str, Any] = schemas["$defs"]
    return defs


def with_problem_schemas(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """`app.openapi` whose components also hold the problem schemas (the error responses refer to them
    by `$ref` under `application/problem+json`, which FastAPI's `model=` cannot do)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
        return app.openapi_schema or {}

    return openapi
