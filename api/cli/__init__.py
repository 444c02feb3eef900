"""`users-posts`, the operator's command line, and the HTTP server it runs."""

from api.cli.main import main

__all__ = ["main"]
