"""add roles, suspension, sessions and the audit log

Revision ID: fa183cfed71c
Revises: 92dfd0f9bb64
Create Date: 2026-11-25 20:37:38.965842

Reviewed by hand: autogenerate wrapped the index creations and the user columns in batch mode, which
on SQLite would copy the user table for the drops and lose its AUTOINCREMENT; SQLite (3.35+) and
PostgreSQL both add and drop columns, and create indexes, in place. Existing users become members
(server default 'member'), none suspended; nobody has a session (they sign in again, which they must
anyway: access tokens now carry `sid`). The audit log has no foreign keys on purpose: its entries
outlive the users and posts they name. Downgrading drops every session and the audit log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "fa183cfed71c"
down_revision: str | Sequence[str] | None = "92dfd0f9bb64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user", sa.Column("role", sa.String(length=16), server_default="member", nullable=False))
    op.add_column("user", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("user", sa.Column("suspension_reason", sa.String(length=500), nullable=True))
    op.create_table(
        "auth_session",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_auth_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_session")),
    )
    op.create_index(op.f("ix_auth_session_user_id"), "auth_session", ["user_id"], unique=False)
    op.create_table(
        "refresh_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_session.id"],
            name=op.f("fk_refresh_token_session_id_auth_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_token")),
    )
    op.create_index(op.f("ix_refresh_token_session_id"), "refresh_token", ["session_id"], unique=False)
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=600), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("audit_event")
    op.drop_index(op.f("ix_refresh_token_session_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index(op.f("ix_auth_session_user_id"), table_name="auth_session")
    op.drop_table("auth_session")
    op.drop_column("user", "suspension_reason")
    op.drop_column("user", "suspended_at")
    op.drop_column("user", "role")
