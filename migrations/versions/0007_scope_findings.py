"""scope findings: what `nofs scopes` read at a release

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Nothing is backfilled: `nofs scopes` reads the releases it is asked for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scope_analyses",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("files_read", sa.Integer(), nullable=False),
        sa.Column("functions_read", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("release_id"),
    )
    op.create_table(
        "scope_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("subsystem_id", sa.Integer(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(length=255), nullable=True),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["path_id"], ["paths.id"]),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subsystem_id"], ["subsystems.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scope_findings_release_kind", "scope_findings", ["release_id", "kind"], unique=False)
    op.create_index(op.f("ix_scope_findings_path_id"), "scope_findings", ["path_id"], unique=False)
    op.create_index(op.f("ix_scope_findings_subsystem_id"), "scope_findings", ["subsystem_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scope_findings_subsystem_id"), table_name="scope_findings")
    op.drop_index(op.f("ix_scope_findings_path_id"), table_name="scope_findings")
    op.drop_index("ix_scope_findings_release_kind", table_name="scope_findings")
    op.drop_table("scope_findings")
    op.drop_table("scope_analyses")
