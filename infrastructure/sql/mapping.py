"""Explicit row ↔ entity mapping: table classes never leave infrastructure.sql."""

from datetime import UTC, datetime
from typing import Any

from domain.users import Email, User
from infrastructure.sql.tables import user_table

USER_COLUMNS = tuple(user_table.c[name] for name in ("id", "name", "email", "password_hash", "created_at"))


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_user(row: Any) -> User:
    """Map a row selected with USER_COLUMNS."""
    user_id, name, email, password_hash, created_at = row
    return User(
        id=user_id,
        name=name,
        email=Email(email),
        password_hash=password_hash,
        created_at=aware(created_at),
    )


def user_values(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "email": user.email.value,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
    }
