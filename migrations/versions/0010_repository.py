"""repository: how the ingested repository's tags make lines, and where its commits and files are on the web

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

One row (id 1). A database made before this revision has none: the read side then keeps the kernel's lines
and links as before, and the next `nofs ingest` (or `nofs db upgrade`, from the stored tags alone) writes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "repository",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("scheme_rule", sa.Text(), nullable=False),
        sa.Column("remote", sa.Text(), nullable=True),
        sa.Column("web", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("repository")
