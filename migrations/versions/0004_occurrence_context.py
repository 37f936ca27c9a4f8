"""occurrence context: what each code occurrence does where it stands

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

Occurrences stored before this revision have no context (NULL role). Blobs never change and the context is
a pure function of a blob's bytes, so the next `nofs ingest` reads those blobs from git again and fills the
columns in (ingest/backfill/context.py); the partial index holds exactly the rows still to fill, and is empty after.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNCLASSIFIED = sa.text("kind = 'code' AND role IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("callee", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("argument", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("flags", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("negated", sa.Boolean(), nullable=True))
        batch_op.create_index(
            "ix_occurrences_unclassified",
            ["blob_id"],
            unique=False,
            sqlite_where=UNCLASSIFIED,
            postgresql_where=UNCLASSIFIED,
        )


def downgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.drop_index("ix_occurrences_unclassified")
        for column in ("negated", "flags", "argument", "callee", "role"):
            batch_op.drop_column(column)
