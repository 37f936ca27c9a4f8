"""commit attribution

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clean_blobs",
        sa.Column("oid", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("oid", name=op.f("pk_clean_blobs")),
    )
    op.create_table(
        "commits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("oid", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=255), nullable=False),
        sa.Column("author_email", sa.String(length=255), nullable=False),
        sa.Column("authored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("parents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commits")),
        sa.UniqueConstraint("oid", name=op.f("uq_commits_oid")),
    )
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commits_author_email"), ["author_email"], unique=False)

    op.create_table(
        "attributions",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("from_tag", sa.String(length=255), nullable=True),
        sa.Column("from_commit", sa.String(length=64), nullable=True),
        sa.Column("base_commit", sa.String(length=64), nullable=True),
        sa.Column("commits_walked", sa.Integer(), nullable=False),
        sa.Column("attributed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_attributions_release_id_releases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_attributions")),
    )
    op.create_table(
        "commit_changes",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("commit_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=8), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("subsystem_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Integer(), nullable=False),
        sa.Column("string", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["commit_id"], ["commits.id"], name=op.f("fk_commit_changes_commit_id_commits")),
        sa.ForeignKeyConstraint(["path_id"], ["paths.id"], name=op.f("fk_commit_changes_path_id_paths")),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_commit_changes_release_id_releases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subsystem_id"], ["subsystems.id"], name=op.f("fk_commit_changes_subsystem_id_subsystems")
        ),
        sa.PrimaryKeyConstraint(
            "release_id", "commit_id", "view", "path_id", "identifier", name=op.f("pk_commit_changes")
        ),
    )
    with op.batch_alter_table("commit_changes", schema=None) as batch_op:
        batch_op.create_index("ix_commit_changes_path", ["path_id", "identifier"], unique=False)
        batch_op.create_index("ix_commit_changes_release", ["release_id", "view", "identifier"], unique=False)
        batch_op.create_index("ix_commit_changes_subsystem", ["subsystem_id", "identifier"], unique=False)

    op.create_table(
        "release_commits",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("commit_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["commit_id"], ["commits.id"], name=op.f("fk_release_commits_commit_id_commits")),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_release_commits_release_id_releases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("release_id", "commit_id", name=op.f("pk_release_commits")),
    )
    with op.batch_alter_table("release_commits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_commits_commit_id"), ["commit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("release_commits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_commits_commit_id"))

    op.drop_table("release_commits")
    with op.batch_alter_table("commit_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_commit_changes_subsystem")
        batch_op.drop_index("ix_commit_changes_release")
        batch_op.drop_index("ix_commit_changes_path")

    op.drop_table("commit_changes")
    op.drop_table("attributions")
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commits_author_email"))

    op.drop_table("commits")
    op.drop_table("clean_blobs")
