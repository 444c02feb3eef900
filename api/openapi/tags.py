"""The OpenAPI tags and how operations are named."""

from fastapi.routing import APIRoute

TAGS = [
    {"name": "users", "description": "Registration and public profiles, with each user's posts."},
    {"name": "auth", "description": "OAuth2 password flow: trade an email and password for a bearer token."},
    {"name": "me", "description": "The caller's own account (bearer token required)."},
    {"name": "posts", "description": "Posts: anyone reads, the author writes."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def operation_id(route: APIRoute) -> str:
    """`<tag>-<route name>`, e.g. `users-create`: stable names for generated clients (each route names
    itself with `name=`)."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name
