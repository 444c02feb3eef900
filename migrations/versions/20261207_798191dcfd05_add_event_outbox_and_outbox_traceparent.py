"""add the event outbox, and the traceparent of outbox rows

Revision ID: 798191dcfd05
Revises: 0a5946c1dd1d
Create Date: 2026-12-07 07:41:19.589950

Reviewed by hand: autogenerate wrapped the index creations and the new mail_outbox column in batch
mode, which on SQLite would copy mail_outbox to add one nullable column (and lose its AUTOINCREMENT);
SQLite (3.35+) and PostgreSQL both do these in place.

Mail written before this revision has no traceparent (NULL): it was written outside any trace.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "798191dcfd05"
down_revision: str | Sequence[str] | None = "0a5946c1dd1d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("traceparent", sa.String(length=55), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_event_outbox_key")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_event_outbox_status_next_attempt_at", "event_outbox", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_event_outbox_subject_status_id", "event_outbox", ["subject", "status", "id"], unique=False
    )
    op.add_column("mail_outbox", sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    op.drop_column("mail_outbox", "traceparent")
    op.drop_index("ix_event_outbox_subject_status_id", table_name="event_outbox")
    op.drop_index("ix_event_outbox_status_next_attempt_at", table_name="event_outbox")
    op.drop_table("event_outbox")
