"""Paths more than one module names."""

TOKEN_PATH = "/auth/token"
"""Where a bearer token is issued: the login route, the OAuth2 scheme's `tokenUrl`, never cached."""
REVOKE_PATH = "/auth/revoke"
"""Where a token is revoked (RFC 7009)."""

SESSION_PATH = "/auth/session"
"""Where a browser app starts (POST), and ends (DELETE), a cookie session: the login takes the token
endpoint's form."""
SESSION_REFRESH_PATH = "/auth/session/refresh"
"""Where a cookie session's refresh cookie is rotated."""

OAUTH_PATHS = frozenset({TOKEN_PATH, REVOKE_PATH, SESSION_PATH})
"""The endpoints speaking OAuth 2.0 to standard clients (a form endpoint taking the same fields joins
them): their answers are never cached (`Cache-Control: no-store`, `Pragma: no-cache`) and their problems
also carry RFC 6749 §5.2's `error` (api.problems.oauth)."""

RESET_PASSWORD_PAGE = "/reset-password"
VERIFY_EMAIL_PAGE = "/verify-email"
PAGE_PATHS = frozenset({RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE})
"""The HTML pages a mailed link opens when no frontend is configured (APP_FRONTEND_URL unset; the
container builds the links to the same paths); they carry their own security headers."""
