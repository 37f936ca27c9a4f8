"""scope tally index: the scope findings' counts read from an index alone

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

The release, subsystem and directory pages count a release's findings by kind, how, identifier and
subsystem (app/scopes.py tallies) instead of reading every finding with its chain: this index covers that
count, and replaces 0007's (release_id, kind), which it starts with.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TALLIED = ["release_id", "kind", "how", "identifier", "subsystem_id"]


def upgrade() -> None:
    op.drop_index("ix_scope_findings_release_kind", table_name="scope_findings")
    op.create_index("ix_scope_findings_tally", "scope_findings", TALLIED, unique=False)


def downgrade() -> None:
    op.drop_index("ix_scope_findings_tally", table_name="scope_findings")
    op.create_index("ix_scope_findings_release_kind", "scope_findings", ["release_id", "kind"], unique=False)
