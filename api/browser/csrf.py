"""CSRF protection of cookie sessions: OWASP's signed double-submit, bound to the session.

A session's CSRF token is an HMAC of its id under a key derived from the server's secret: the server
keeps nothing, and a token of one session is worth nothing in another. A cookie-authenticated request
with an unsafe method must send it in `X-CSRF-Token` (a cross-site form cannot set a header, nor read
the `__Host-csrf` cookie), come from the API's own origin or one of APP_CORS_ORIGINS (`Origin`), and
not be `Sec-Fetch-Site: cross-site` unless its origin is listed. Bearer requests are not concerned: a
browser never adds an `Authorization` header on its own."""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from domain.errors import PermissionDenied

CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CsrfRefused(PermissionDenied):
    """A cookie-authenticated request that does not prove it comes from the session's own app."""

    default_message = "Refused as a possible cross-site request forgery"


class CsrfTokenMismatch(CsrfRefused):
    default_message = "X-CSRF-Token is missing or is not this session's CSRF token"


class CsrfOriginRefused(CsrfRefused):
    default_message = "The request's Origin is missing, or may not act with this session's cookies"


@dataclass(frozen=True, slots=True)
class CsrfPolicy:
    """Which origins may act with a session's cookies, and the key of the sessions' CSRF tokens."""

    key: bytes
    listed_origins: frozenset[str]  # APP_CORS_ORIGINS, exactly: "*" lists none
    own_origin: str | None  # APP_PUBLIC_URL's origin; None: the origin the request was sent to

    @classmethod
    def of(cls, secret: str, cors_origins: list[str], public_url: str | None) -> "CsrfPolicy":
        # A key of its own, derived: a CSRF token is never a MAC made with the tokens' signing key.
        key = hmac.new(secret.encode(), b"users-posts csrf token", hashlib.sha256).digest()
        listed = frozenset(origin.lower() for origin in cors_origins if origin != "*")
        own = None
        if public_url:
            parts = urlsplit(public_url)
            own = f"{parts.scheme}://{parts.netloc}".lower()
        return cls(key, listed, own)

    def token(self, session_id: str) -> str:
        """The CSRF token of the session `session_id`."""
        mac = hmac.new(self.key, session_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def check(self, request: Request, session_id: str) -> None:
        """Raise CsrfRefused unless `request` may act with the cookies of session `session_id`."""
        self.check_origin(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), self.token(session_id).encode()):
            raise CsrfTokenMismatch()

    def check_origin(self, request: Request) -> None:
        """Raise CsrfOriginRefused unless `request` comes from the API's own origin or a listed one,
        and is not cross-site unless its origin is listed."""
        origin = request.headers.get("origin", "").lower()
        listed = origin in self.listed_origins
        if not listed and origin != (self.own_origin or _origin_requested(request)):
            raise CsrfOriginRefused()
        if not listed and request.headers.get("sec-fetch-site") == "cross-site":
            raise CsrfOriginRefused()


def _origin_requested(request: Request) -> str:
    """The origin the request was sent to: its scheme and Host (checked by the edge's Host guard)."""
    return f"{request.scope['scheme']}://{request.headers.get('host', '')}".lower()
