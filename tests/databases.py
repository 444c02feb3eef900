"""The SQL kinds the suites run on, and a migrated, empty database of a kind for a test."""

import pytest

SQL_KINDS = ["sqlite", "postgres"]


def migrated_database_url(request: pytest.FixtureRequest, kind: str) -> str:
    """The URL of a migrated, empty database of `kind` (one of SQL_KINDS) for the requesting test."""
    url: str = request.getfixturevalue("sqlite_database" if kind == "sqlite" else "postgres_database_url")
    return url
