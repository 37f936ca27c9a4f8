"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("oid", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("is_binary", sa.Boolean(), nullable=False),
        sa.Column("utf8", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blobs")),
        sa.UniqueConstraint("oid", name=op.f("uq_blobs_oid")),
    )
    op.create_table(
        "maintainers_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("oid", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintainers_files")),
        sa.UniqueConstraint("oid", name=op.f("uq_maintainers_files_oid")),
    )
    op.create_table(
        "paths",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=4096), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("is_dir", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["paths.id"], name=op.f("fk_paths_parent_id_paths")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paths")),
        sa.UniqueConstraint("path", name=op.f("uq_paths_path")),
    )
    with op.batch_alter_table("paths", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paths_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "subsystems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsystems")),
        sa.UniqueConstraint("name", name=op.f("uq_subsystems_name")),
    )
    op.create_table(
        "blob_counts",
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Integer(), nullable=False),
        sa.Column("string", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["blobs.id"], name=op.f("fk_blob_counts_blob_id_blobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("blob_id", "identifier", name=op.f("pk_blob_counts")),
    )
    op.create_table(
        "occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("col", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("function", sa.String(length=255), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["blobs.id"], name=op.f("fk_occurrences_blob_id_blobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrences")),
    )
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.create_index("ix_occurrences_blob_line", ["blob_id", "line"], unique=False)

    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=255), nullable=False),
        sa.Column("commit_id", sa.String(length=64), nullable=False),
        sa.Column("tree_id", sa.String(length=64), nullable=False),
        sa.Column("commit_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sort_key", sa.String(length=64), nullable=False),
        sa.Column("maintainers_file_id", sa.Integer(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["maintainers_file_id"],
            ["maintainers_files.id"],
            name=op.f("fk_releases_maintainers_file_id_maintainers_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("tag", name=op.f("uq_releases_tag")),
    )
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_releases_sort_key"), ["sort_key"], unique=False)

    op.create_table(
        "sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("maintainers_file_id", sa.Integer(), nullable=False),
        sa.Column("subsystem_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=255), nullable=True),
        sa.Column("maintainers", sa.JSON(), nullable=False),
        sa.Column("reviewers", sa.JSON(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("patterns", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["maintainers_file_id"],
            ["maintainers_files.id"],
            name=op.f("fk_sections_maintainers_file_id_maintainers_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["subsystem_id"], ["subsystems.id"], name=op.f("fk_sections_subsystem_id_subsystems")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sections")),
        sa.UniqueConstraint("maintainers_file_id", "position", name=op.f("uq_sections_maintainers_file_id")),
    )
    with op.batch_alter_table("sections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sections_subsystem_id"), ["subsystem_id"], unique=False)

    op.create_table(
        "path_counts",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Integer(), nullable=False),
        sa.Column("string", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["path_id"], ["paths.id"], name=op.f("fk_path_counts_path_id_paths")),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_path_counts_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "path_id", "identifier", name=op.f("pk_path_counts")),
    )
    with op.batch_alter_table("path_counts", schema=None) as batch_op:
        batch_op.create_index("ix_path_counts_path", ["path_id", "identifier"], unique=False)

    op.create_table(
        "release_files",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("subsystem_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["blob_id"], ["blobs.id"], name=op.f("fk_release_files_blob_id_blobs")),
        sa.ForeignKeyConstraint(["path_id"], ["paths.id"], name=op.f("fk_release_files_path_id_paths")),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_files_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subsystem_id"], ["subsystems.id"], name=op.f("fk_release_files_subsystem_id_subsystems")
        ),
        sa.PrimaryKeyConstraint("release_id", "path_id", name=op.f("pk_release_files")),
    )
    with op.batch_alter_table("release_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_files_blob_id"), ["blob_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_release_files_subsystem_id"), ["subsystem_id"], unique=False)

    op.create_table(
        "subsystem_counts",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("subsystem_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Integer(), nullable=False),
        sa.Column("string", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_subsystem_counts_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subsystem_id"], ["subsystems.id"], name=op.f("fk_subsystem_counts_subsystem_id_subsystems")
        ),
        sa.PrimaryKeyConstraint("release_id", "subsystem_id", "identifier", name=op.f("pk_subsystem_counts")),
    )
    with op.batch_alter_table("subsystem_counts", schema=None) as batch_op:
        batch_op.create_index("ix_subsystem_counts_subsystem", ["subsystem_id", "identifier"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("subsystem_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_subsystem_counts_subsystem")

    op.drop_table("subsystem_counts")
    with op.batch_alter_table("release_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_files_subsystem_id"))
        batch_op.drop_index(batch_op.f("ix_release_files_blob_id"))

    op.drop_table("release_files")
    with op.batch_alter_table("path_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_path_counts_path")

    op.drop_table("path_counts")
    with op.batch_alter_table("sections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sections_subsystem_id"))

    op.drop_table("sections")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_sort_key"))

    op.drop_table("releases")
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.drop_index("ix_occurrences_blob_line")

    op.drop_table("occurrences")
    op.drop_table("blob_counts")
    op.drop_table("subsystems")
    with op.batch_alter_table("paths", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paths_parent_id"))

    op.drop_table("paths")
    op.drop_table("maintainers_files")
    op.drop_table("blobs")
