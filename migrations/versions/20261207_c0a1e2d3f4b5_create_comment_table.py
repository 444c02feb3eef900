"""create the comment table, and the comment count of posts

Revision ID: c0a1e2d3f4b5
Revises: 798191dcfd05
Create Date: 2026-12-07 09:40:00.000000

Reviewed by hand: autogenerate omits `sqlite_autoincrement` (ids of deleted comments are never reused)
and would add `post.comment_count` in batch mode, which on SQLite copies the post table (and loses its
AUTOINCREMENT); SQLite (3.35+) and PostgreSQL both add and drop the column in place. Existing posts
have no comments: the server default 0 is their exact count.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c0a1e2d3f4b5"
down_revision: str | Sequence[str] | None = "798191dcfd05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=5000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_comment_author_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_comment_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_comment_post_id_id", "comment", ["post_id", "id"], unique=False)
    op.create_index("ix_comment_author_id", "comment", ["author_id"], unique=False)
    op.add_column("post", sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("post", "comment_count")
    op.drop_index("ix_comment_author_id", table_name="comment")
    op.drop_index("ix_comment_post_id_id", table_name="comment")
    op.drop_table("comment")
