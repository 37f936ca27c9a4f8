"""change kinds: what kind of change each commit's change in uses was

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Each commit_changes row gets the split of its change in code occurrences (app/change_rules.py); NULL on rows
written before this revision. Attributions written before it have `change_kinds` false, and the next
`nofs ingest` attributes those intervals again (the split needs git: the blobs' functions and renames).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("converted", "removed_with_code", "moved_out", "moved_in", "added_new", "added_existing")


def upgrade() -> None:
    with op.batch_alter_table("commit_changes", schema=None) as batch_op:
        for kind in KINDS:
            batch_op.add_column(sa.Column(kind, sa.Integer(), nullable=True))
    with op.batch_alter_table("attributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_kinds", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("attributions", schema=None) as batch_op:
        batch_op.drop_column("change_kinds")
    with op.batch_alter_table("commit_changes", schema=None) as batch_op:
        for kind in reversed(KINDS):
            batch_op.drop_column(kind)
