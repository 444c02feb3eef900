"""Paths more than one module names."""

TOKEN_PATH = "/auth/token"
"""Where a bearer token is issued: the login route, the OAuth2 scheme's `tokenUrl`, never cached."""
REVOKE_PATH = "/auth/revoke"
"""Where a token is revoked (RFC 7009)."""

OAUTH_PATHS = frozenset({TOKEN_PATH, REVOKE_PATH})
"""The endpoints speaking OAuth 2.0 to standard clients (a form endpoint taking the same fields joins
them): their answers are never cached (`Cache-Control: no-store`, `Pragma: no-cache`) and their problems
also carry RFC 6749 §5.2's `error` (api.problems.oauth)."""
