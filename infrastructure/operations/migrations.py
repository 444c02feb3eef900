"""Migrations for `users-posts migrate`: upgrade to head, or say what keeps the database from it."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where alembic.ini and migrations/ are


def _alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config  # the database URL comes from the settings (migrations/env.py)


def upgrade_to_head() -> None:
    """Apply every pending migration to APP_DATABASE_URL; exits with one line when it cannot."""
    command.upgrade(_alembic_config(), "head")


def migration_problem() -> str | None:
    """None when the database is at head and the tables match it; else what is wrong."""
    config = _alembic_config()
    config.attributes["configure_logger"] = False  # the answer is one line, not alembic's log
    try:
        command.check(config)
    except CommandError as error:  # "Target database is not up to date." or the drift found
        return str(error)
    return None
