"""Paths more than one module names."""

TOKEN_PATH = "/auth/token"
"""Where a bearer token is issued: the login route, the OAuth2 scheme's `tokenUrl`, never cached."""
