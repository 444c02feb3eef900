"""Database URLs: the kind of database one names, and how one is shown in a message."""

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def database_backend(database_url: str) -> str:
    """The kind of database a URL names, whatever its driver: "sqlite", "postgresql"…"""
    return make_url(database_url).get_backend_name()


def shown_url(url: str) -> str:
    """`url` fit for a message: the password hidden, even when the URL does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r":[^:/@]*@", ":***@", url) or "''"
