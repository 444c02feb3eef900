"""Migrations for `users-posts migrate`: upgrade to head, or say what keeps the database from it.

Alembic's configuration is built here rather than read from alembic.ini, so that an installed wheel
migrates: the scripts are the `migrations` package (env.py, versions/), found through the import system
wherever it is installed. alembic.ini remains for developers running `alembic` in the source tree."""

from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError

# What `alembic` and `users-posts migrate` log (migrations/env.py applies it): alembic's progress lines
# on stderr, nothing from SQLAlchemy below a warning.
MIGRATION_LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"generic": {"format": "%(levelname)-5.5s [%(name)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "generic", "stream": "ext://sys.stderr"}
    },
    "root": {"level": "WARNING", "handlers": ["console"]},
    "loggers": {"sqlalchemy.engine": {"level": "WARNING"}, "alembic": {"level": "INFO"}},
}


def scripts_directory() -> Path:
    """The directory of the `migrations` package: Alembic reads env.py and versions/ from there."""
    location = files("migrations")
    if not isinstance(location, Path):  # e.g. imported from a zip file: Alembic needs a directory
        raise RuntimeError(f"the migrations package must be installed as files, not in {location}")
    return location


def alembic_config() -> Config:
    """Alembic's configuration without an ini file; the database URL comes from the settings (or from
    `config.attributes["database_url"]`, see migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(scripts_directory()))
    config.set_main_option("path_separator", "os")
    return config


def upgrade_to_head() -> None:
    """Apply every pending migration to APP_DATABASE_URL; exits with one line when it cannot."""
    command.upgrade(alembic_config(), "head")


def migration_problem() -> str | None:
    """None when the database is at head and the tables match it; else what is wrong."""
    config = alembic_config()
    config.attributes["configure_logger"] = False  # the answer is one line, not alembic's log
    try:
        command.check(config)
    except CommandError as error:  # "Target database is not up to date." or the drift found
        return str(error)
    return None
