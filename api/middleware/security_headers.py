"""Response headers every answer carries, as a step of the edge: chosen per request by a path lookup and
whether the request carries credentials, appended to the response's headers."""

from api.browser.pages import PAGE_CSP
from api.paths import OAUTH_PATHS, PAGE_PATHS

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)
# Any answer to a request carrying credentials may hold private data and must not be kept by a cache.
_PRIVATE = (*_ALWAYS, (b"cache-control", b"no-store"))
# RFC 6749 §5.1 for every answer of the OAuth endpoints, errors included: Pragma for HTTP/1.0 caches.
_OAUTH = (*_PRIVATE, (b"pragma", b"no-cache"))
# The pages behind mailed links: their own policy (their style, forms to themselves), and never cached,
# as their address holds a token.
_PAGE = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", PAGE_CSP.encode()),
    (b"cache-control", b"no-store"),
)
_BY_PATH = {path: _OAUTH for path in OAUTH_PATHS} | {path: _PAGE for path in PAGE_PATHS}


def security_headers(path: str, has_credentials: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers to add to the answer to a request for `path`, with credentials (an Authorization or
    Cookie header) or not."""
    return _BY_PATH.get(path) or (_PRIVATE if has_credentials else _ALWAYS)
