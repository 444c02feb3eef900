"""Our app without the security-header and Host middleware: what `make bench` compares `api.app:app`
against to show what that middleware costs the reads."""

from api.app import create_app
from api.middleware.host_guard import HostGuard
from api.middleware.security_headers import SecurityHeaders

app = create_app(configure_logs=True)  # logging as api.app:app has it: only the middleware differs
# Starlette builds its middleware stack at the first request: removing them here takes them out.
REMOVED: tuple[object, ...] = (SecurityHeaders, HostGuard)
app.user_middleware = [m for m in app.user_middleware if m.cls not in REMOVED]
