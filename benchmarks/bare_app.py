"""Our app without the security headers and the Host guard: what `make bench` compares our app against
to show what they cost."""

from typing import Any

from starlette.middleware import Middleware

from api.app import create_app
from api.middleware.edge import Edge

app = create_app(configure_logs=True)  # logging as the served app has it: only the edge's steps differ


def _bare(middleware: Middleware) -> Middleware:
    if middleware.cls is not Edge:  # type: ignore[comparison-overlap]
        return middleware
    options: dict[str, Any] = {**middleware.kwargs, "allowed_hosts": ["*"]}
    return Middleware(Edge, **options, with_security_headers=False)


# Starlette builds its middleware stack at the first request: the edge rebuilt here is the one served.
app.user_middleware = [_bare(m) for m in app.user_middleware]
