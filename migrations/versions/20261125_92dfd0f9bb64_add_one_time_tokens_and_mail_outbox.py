"""add one-time tokens, the mail outbox and user.email_verified_at

Revision ID: 92dfd0f9bb64
Revises: 241c3673a225
Create Date: 2026-11-25 20:37:58.762528

Reviewed by hand: autogenerate wrapped the index creations and the column changes in batch mode, which
on SQLite would copy the user table to add or drop one nullable column (and lose its AUTOINCREMENT);
SQLite (3.35+) and PostgreSQL both do these in place.

Users who exist before this revision get email_verified_at NULL: unverified. Nothing proved their
addresses, and with APP_REQUIRE_VERIFIED_EMAIL off (the default) it changes nothing for them; with it
on they ask for a link (POST /users/me/verification-email) before writing posts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "92dfd0f9bb64"
down_revision: str | Sequence[str] | None = "241c3673a225"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_mail_outbox_key")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_mail_outbox_status_next_attempt_at", "mail_outbox", ["status", "next_attempt_at"], unique=False
    )
    op.create_table(
        "one_time_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_one_time_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_one_time_token")),
    )
    op.create_index(
        "ix_one_time_token_user_id_purpose", "one_time_token", ["user_id", "purpose"], unique=False
    )
    op.add_column("user", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("user", "email_verified_at")
    op.drop_index("ix_one_time_token_user_id_purpose", table_name="one_time_token")
    op.drop_table("one_time_token")
    op.drop_index("ix_mail_outbox_status_next_attempt_at", table_name="mail_outbox")
    op.drop_table("mail_outbox")
