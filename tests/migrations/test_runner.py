import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from app.db import Base
from migrations.runner import HEAD_REVISION, alembic_config, current_revision, head_revision, upgrade, upgrade_if_behind


def test_migrations_make_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_database_is_at_head_and_upgrade_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() == HEAD_REVISION
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert {"releases", "blobs", "occurrences", "path_counts", "subsystem_counts"} <= set(
        inspect(engine).get_table_names()
    )


def test_a_database_behind_is_upgraded(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert current_revision(engine) == "0001" and "commit_changes" not in inspect(engine).get_table_names()
    upgrade_if_behind(engine)
    assert current_revision(engine) == HEAD_REVISION and "commit_changes" in inspect(engine).get_table_names()


def test_db_revision_writes_the_next_migration_from_the_models(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migrations import runner

    copy = tmp_path / "migrations"
    shutil.copytree(runner.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runner, "MIGRATIONS_DIR", copy)
    written = Path(runner.revision(engine, "nothing yet"))
    assert written.parent == copy / "versions" and written.name == f"{int(HEAD_REVISION) + 1:04d}_nothing_yet.py"
    text = written.read_text()
    assert f"Revision ID: {int(HEAD_REVISION) + 1:04d}\nRevises: {HEAD_REVISION}\n" in text
    # the models are what the migrations make, so there is nothing to do
    assert "pass" in text.split("def upgrade()")[1].split("def downgrade()")[0]


def test_a_database_made_at_0007_gets_the_covering_index_of_the_scope_counts(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("scope_findings")}
    assert indexes["ix_scope_findings_release_kind"] == ["release_id", "kind"]
    assert "ix_scope_findings_tally" not in indexes
    upgrade_if_behind(engine)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("scope_findings")}
    assert indexes["ix_scope_findings_tally"] == ["release_id", "kind", "how", "identifier", "subsystem_id"]
    assert "ix_scope_findings_release_kind" not in indexes
