"""data changes: one append-only record of every change the read side shows, whose count is its cache key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

The read side's cache key was computed from the tables the writers of the day wrote (releases, attributions,
scope analyses, scope findings), a list kept by hand: a backfill of the occurrence context or of the Fixes:
trailers changed what pages show without changing the key. Every writer now adds a row here in the
transaction that makes its change. A database made before this migration has no row: its first change adds
one, and the key moves.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("data_changes")
