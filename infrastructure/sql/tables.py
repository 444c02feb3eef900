"""SQLModel table classes: the database schema. They never leave the infrastructure.sql package."""

from datetime import datetime

from sqlalchemy import DateTime, MetaData, String, Table
from sqlmodel import Field, SQLModel

from domain.users import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, PASSWORD_HASH_MAX_LENGTH

# Stable constraint and index names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


class UserRow(SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(NAME_MAX_LENGTH), nullable=False)
    # Emails are stored normalised (domain.users.Email), so a plain unique constraint makes
    # two letter cases of one address collide.
    email: str = Field(sa_type=String(EMAIL_MAX_LENGTH), nullable=False, unique=True)
    password_hash: str = Field(sa_type=String(PASSWORD_HASH_MAX_LENGTH), nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)


# Core handles on the tables: repositories select columns, not ORM objects.
user_table: Table = metadata.tables["user"]
