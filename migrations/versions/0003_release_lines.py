"""release lines and series; attribution cut at a shallow clone's boundary

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Releases stored before this revision are marked mainline with no series and keep their old sort keys;
the next `nofs ingest` re-derives line, series and sort key from each stored tag (ingest/run.py), so
the rules live in one place and not in a frozen copy here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line", sa.String(length=16), server_default="mainline", nullable=False))
        batch_op.add_column(sa.Column("series", sa.String(length=255), server_default="", nullable=False))
        batch_op.alter_column(
            "sort_key", existing_type=sa.String(length=64), type_=sa.String(length=255), existing_nullable=False
        )
    with op.batch_alter_table("attributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shallow_boundary", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("attributions", schema=None) as batch_op:
        batch_op.drop_column("shallow_boundary")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.alter_column(
            "sort_key", existing_type=sa.String(length=255), type_=sa.String(length=64), existing_nullable=False
        )
        batch_op.drop_column("series")
        batch_op.drop_column("line")
