"""Query strings fit for a log: the values of secret parameters replaced."""

from urllib.parse import unquote_plus

# Query parameters whose values are secrets: replaced by REDACTED wherever a query is logged.
SECRET_QUERY_KEYS = frozenset(
    {"password", "current_password", "new_password", "token", "access_token", "refresh_token", "secret"}
)
REDACTED = "[redacted]"


def redact_query(query: str) -> str:
    """`query` with the value of every secret parameter (SECRET_QUERY_KEYS, any case) replaced."""
    parts = query.split("&")
    for i, part in enumerate(parts):
        key, sep, _ = part.partition("=")
        if unquote_plus(key).strip().lower() in SECRET_QUERY_KEYS:
            parts[i] = f"{key}{sep or '='}{REDACTED}"
    return "&".join(parts)
