"""commit fixes: the Fixes: trailers of every walked commit, for the conversions that needed a fix

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Intervals attributed before this revision keep `fixes_read` false: the next `nofs ingest` walks each of them
again, reads its commits' messages and stores their Fixes: trailers, one interval a transaction, without
attributing anything again (ingest/backfill/fixes.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commit_fixes",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("commit_id", sa.Integer(), nullable=False),
        sa.Column("named", sa.String(length=64), nullable=False),
        sa.Column("fixed_oid", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["commit_id"], ["commits.id"]),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("release_id", "commit_id", "named"),
    )
    op.create_index("ix_commit_fixes_fixed", "commit_fixes", ["fixed_oid"], unique=False)
    op.create_index(op.f("ix_commit_fixes_commit_id"), "commit_fixes", ["commit_id"], unique=False)
    with op.batch_alter_table("attributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fixes_read", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("attributions", schema=None) as batch_op:
        batch_op.drop_column("fixes_read")
    op.drop_index(op.f("ix_commit_fixes_commit_id"), table_name="commit_fixes")
    op.drop_index("ix_commit_fixes_fixed", table_name="commit_fixes")
    op.drop_table("commit_fixes")
