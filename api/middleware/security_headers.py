"""Response headers every answer carries, as a step of the edge: chosen per request by a path
comparison and a header lookup, appended to the response's headers."""

from api.paths import TOKEN_PATH

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)
# RFC 6749 §5.1 for the token response; any answer to a request carrying credentials may hold
# private data and must not be kept by a cache.
_PRIVATE = (*_ALWAYS, (b"cache-control", b"no-store"))


def security_headers(path: str, has_credentials: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers to add to the answer to a request for `path`, with an Authorization header or not."""
    return _PRIVATE if has_credentials or path == TOKEN_PATH else _ALWAYS
