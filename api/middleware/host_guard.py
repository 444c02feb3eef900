"""The Host guard: requests whose Host header is not one of the allowed hosts are refused, as Starlette's
TrustedHostMiddleware refuses them (same patterns, same answers), as a step of the edge."""

from collections.abc import Sequence

from starlette._utils import parse_host_header  # what TrustedHostMiddleware parses the header with
from starlette.datastructures import URL
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import Scope

# Host header values found allowed, kept to answer the next request with one lookup; refused values are
# not kept (a client may send any number of them).
_KNOWN_GOOD_MAX = 64


class HostGuard:
    """The allowed hosts (APP_ALLOWED_HOSTS); "*" lets every Host through without a check."""

    __slots__ = ("_known_good", "_patterns", "_www_redirect")

    def __init__(self, allowed_hosts: Sequence[str]) -> None:
        # Its constructor checks the patterns (and lower-cases them); its defaults are ours.
        trusted = TrustedHostMiddleware(lambda *_: None, list(allowed_hosts))  # type: ignore[arg-type]
        self._www_redirect = trusted.www_redirect
        self._patterns: list[str] = [] if trusted.allow_any else trusted.allowed_hosts  # []: every host
        self._known_good: set[str] = set()

    def refusal(self, scope: Scope, host_header: str | None) -> Response | None:
        """None when the request may go on; else the answer refusing it (a 400, or a redirect to the
        www. host when only that one is allowed)."""
        if not self._patterns or host_header in self._known_good:
            return None
        return self._check(scope, host_header, self._patterns)

    def _check(self, scope: Scope, host_header: str | None, patterns: list[str]) -> Response | None:
        parsed = parse_host_header(host_header)
        if parsed is None:
            return PlainTextResponse("Invalid host header", status_code=400)
        host = parsed.host.lower()
        www_redirect = False
        for pattern in patterns:
            if host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:])):
                if host_header is not None and len(self._known_good) < _KNOWN_GOOD_MAX:
                    self._known_good.add(host_header)
                return None
            if "www." + host == pattern:
                www_redirect = True
        if www_redirect and self._www_redirect:
            url = URL(scope=scope)
            return RedirectResponse(url=str(url.replace(netloc="www." + url.netloc)))
        return PlainTextResponse("Invalid host header", status_code=400)
