"""add user credentials stamp

Revision ID: 241c3673a225
Revises: 7c64260753f1
Create Date: 2026-11-25 16:32:22.088474

Reviewed by hand: autogenerate wrapped both steps in batch mode, which on SQLite would copy the table
for the drop and lose its AUTOINCREMENT; SQLite (3.35+) and PostgreSQL both add and drop a column in
place. Existing rows get the stamp 'unset': tokens issued before the upgrade carried a stamp derived from the
password hash, so they stop being accepted once (every user signs in again), and the next password
change or sign-out gives the user a random stamp.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "241c3673a225"
down_revision: str | Sequence[str] | None = "7c64260753f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user", sa.Column("credentials_stamp", sa.String(length=32), server_default="unset", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("user", "credentials_stamp")
