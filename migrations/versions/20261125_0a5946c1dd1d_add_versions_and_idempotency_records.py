"""add versions and idempotency records

Revision ID: 0a5946c1dd1d
Revises: 241c3673a225
Create Date: 2026-11-25 20:41:20.742699

Reviewed by hand: autogenerate wrapped the new columns in batch mode, which on SQLite would copy the
tables for the drop and lose their AUTOINCREMENT; SQLite (3.35+) and PostgreSQL both add and drop a
column in place. Existing rows start at version 1 (the server default), so entity tags handed out
before the upgrade never existed and cannot match by accident.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0a5946c1dd1d"
down_revision: str | Sequence[str] | None = "241c3673a225"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("post", sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    op.drop_column("post", "version")
    op.drop_column("user", "version")
