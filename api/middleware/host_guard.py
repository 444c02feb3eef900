"""The Host guard: Starlette's TrustedHostMiddleware on the allowed hosts of the settings."""

from collections.abc import Callable, Sequence

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class HostGuard:
    """TrustedHostMiddleware with `allowed_hosts()` (APP_ALLOWED_HOSTS), asked at the first request: settings
    are not loaded when the app is built. "*" lets every Host through without a check."""

    def __init__(self, app: ASGIApp, allowed_hosts: Callable[[], Sequence[str]]) -> None:
        self.app = app
        self._allowed_hosts = allowed_hosts
        self._guarded: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # settings may be invalid: the lifespan must report it
            await self.app(scope, receive, send)
            return
        if self._guarded is None:
            hosts = list(self._allowed_hosts())
            self._guarded = self.app if "*" in hosts else TrustedHostMiddleware(self.app, hosts)
        await self._guarded(scope, receive, send)
