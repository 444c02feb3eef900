"""The cookies of a cookie session: what `POST /auth/session` and its refresh set, and sign-out clears.

- `__Host-access`: the access token; HttpOnly, SameSite=Lax (sent when following a link to the API).
- `__Host-refresh`: the refresh token; HttpOnly, SameSite=Strict.
- `__Host-csrf`: the session's CSRF token, readable by the page's scripts; SameSite=Strict.

All `Secure` and `Path=/` with no `Domain`, which the `__Host-` prefix makes browsers insist on: no
other host of the site can set or shadow them. Without `Secure` (APP_COOKIE_SECURE=false, plain-HTTP
development) browsers refuse `__Host-` cookies, so they are then named without the prefix."""

from dataclasses import dataclass
from typing import Literal

from starlette.responses import Response

from application.sessions import Grant

HOST_PREFIX = "__Host-"


@dataclass(frozen=True, slots=True)
class SessionCookies:
    secure: bool = True

    @property
    def access(self) -> str:
        return self._named("access")

    @property
    def refresh(self) -> str:
        return self._named("refresh")

    @property
    def csrf(self) -> str:
        return self._named("csrf")

    def _named(self, name: str) -> str:
        return HOST_PREFIX + name if self.secure else name

    def set(self, response: Response, grant: Grant, csrf_token: str) -> None:
        """The cookies of the session `grant` started or refreshed, living as long as its tokens."""
        self._set(response, self.access, grant.access_token, grant.expires_in, "lax")
        self._set(response, self.refresh, grant.refresh_token, grant.refresh_expires_in, "strict")
        self._set(response, self.csrf, csrf_token, grant.refresh_expires_in, "strict", http_only=False)

    def clear(self, response: Response) -> None:
        """Expire the session's cookies in the browser."""
        self._set(response, self.access, "", 0, "lax")
        self._set(response, self.refresh, "", 0, "strict")
        self._set(response, self.csrf, "", 0, "strict", http_only=False)

    def _set(
        self,
        response: Response,
        name: str,
        value: str,
        max_age: int,
        same_site: Literal["lax", "strict"],
        http_only: bool = True,
    ) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", secure=self.secure, httponly=http_only, samesite=same_site
        )
