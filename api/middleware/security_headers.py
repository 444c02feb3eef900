"""Response headers every answer carries, as a step of the edge: chosen per request by a path
comparison and a header lookup, appended to the response's headers."""

from api.paths import OAUTH_PATHS

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)
# Any answer to a request carrying credentials may hold private data and must not be kept by a cache.
_PRIVATE = (*_ALWAYS, (b"cache-control", b"no-store"))
# RFC 6749 §5.1 for every answer of the OAuth endpoints, errors included: Pragma for HTTP/1.0 caches.
_OAUTH = (*_PRIVATE, (b"pragma", b"no-cache"))


def security_headers(path: str, has_credentials: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers to add to the answer to a request for `path`, with an Authorization header or not."""
    if path in OAUTH_PATHS:
        return _OAUTH
    return _PRIVATE if has_credentials else _ALWAYS
