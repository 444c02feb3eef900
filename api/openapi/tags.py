"""The OpenAPI tags and how operations are named."""

from fastapi.routing import APIRoute

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
        "name": "comments",
        "description": "Comments under posts: anyone reads, signed-in users write, the author edits; "
        "the author, moderators and admins delete.",
    },
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
