"""Fixes: trailers stored with the attribution, and read for intervals attributed before they were
(migration 0006), exactly as a fresh ingest stores them, resumably."""

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from ingest import commit_store
from ingest.backfill.fixes import FixesBackfill
from ingest.run import IngestOptions, IngestStats, ingest
from migrations.runner import HEAD_REVISION, alembic_config, current_revision
from tests.dump import dump
from tests.fix_history import OTHER_TREE, build_fixes_history
from tests.kernel_like import selection_of


def run(engine: Engine, repo: Path, tmp_path: Path, commits: bool = True) -> IngestStats:
    return ingest(engine, IngestOptions(str(repo), tmp_path / "cache", selection_of({}), jobs=1, commits=commits))


def backfilled(stats: IngestStats) -> int:
    """How many intervals attributed before the trailers were stored had theirs read."""
    return stats.backfilled[FixesBackfill.name].done


def stored_fixes(engine: Engine) -> set[tuple[str, str, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT r.tag, c.oid, f.named, f.fixed_oid FROM commit_fixes f "
                "JOIN releases r ON r.id = f.release_id JOIN commits c ON c.id = f.commit_id"
            )
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def test_every_walked_commits_fixes_trailers_are_stored_and_resolved(engine: Engine, tmp_path: Path) -> None:
    c = build_fixes_history(tmp_path / "repo")
    stats = run(engine, tmp_path / "repo", tmp_path)
    a = c["convert_a"]
    assert stored_fixes(engine) == {
        ("v1.1", c["fix_a"], a[:12], a),
        ("v1.1", c["doc_fix"], a[:7], a),
        ("v1.1", c["doc_fix"], OTHER_TREE, None),  # kept as written: it names no commit here
        ("v1.2", c["late_fix"], a, a),
    }
    assert stats.fixes_stored == 4 and "4 Fixes: trailer(s)" in stats.summary()
    with engine.connect() as connection:
        # the documentation fix moved no count: it is a stored commit, but of no release's commits
        subjects = set(connection.execute(text("SELECT subject FROM commits")).scalars())
        in_releases = connection.execute(
            text("SELECT count(*) FROM release_commits rc JOIN commits c ON c.id = rc.commit_id WHERE c.oid = :oid"),
            {"oid": c["doc_fix"]},
        ).scalar_one()
        read = set(connection.execute(text("SELECT fixes_read FROM attributions")).scalars())
    assert "README: describe the scope" in subjects and in_releases == 0 and read == {True}


def test_without_commits_no_trailers_are_read_and_a_later_run_reads_them(engine: Engine, tmp_path: Path) -> None:
    build_fixes_history(tmp_path / "repo")
    run(engine, tmp_path / "repo", tmp_path, commits=False)
    assert stored_fixes(engine) == set()
    assert run(engine, tmp_path / "repo", tmp_path).fixes_stored == 4 and len(stored_fixes(engine)) == 4


def downgrade_to_before_the_fixes(engine: Engine) -> None:
    """What a database attributed before migration 0006 holds: no trailers, and no commit stored for one."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
        connection.execute(text("DELETE FROM commits WHERE id NOT IN (SELECT commit_id FROM release_commits)"))
    assert current_revision(engine) == "0005"


def attributed_at(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        query = "SELECT r.tag, a.attributed_at FROM attributions a JOIN releases r ON r.id = a.release_id ORDER BY 1"
        return [(tag, str(at)) for tag, at in connection.execute(text(query))]


def test_intervals_attributed_before_the_migration_get_their_fixes_without_attributing_again(
    engine: Engine, tmp_path: Path
) -> None:
    build_fixes_history(tmp_path / "repo")
    run(engine, tmp_path / "repo", tmp_path)
    fresh = dump(engine)
    downgrade_to_before_the_fixes(engine)
    before = attributed_at(engine)

    stats = run(engine, tmp_path / "repo", tmp_path)
    assert current_revision(engine) == HEAD_REVISION
    assert stats.releases_ingested == [] and stats.intervals_attributed == 0 and backfilled(stats) == 2
    assert "Fixes: trailers read in 2 interval(s) attributed before they were stored" in stats.summary()
    assert dump(engine) == fresh and attributed_at(engine) == before  # read, not attributed again
    again = run(engine, tmp_path / "repo", tmp_path)
    assert backfilled(again) == 0 and "Fixes" not in again.summary()


def test_a_killed_reading_of_fixes_resumes_to_the_same_database(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_fixes_history(tmp_path / "repo")
    run(engine, tmp_path / "repo", tmp_path)
    fresh = dump(engine)
    downgrade_to_before_the_fixes(engine)
    real = commit_store.store_fixes
    calls = []

    def killed_in_the_third(*args: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(commit_store, "store_fixes", killed_in_the_third)
    with pytest.raises(KeyboardInterrupt):
        run(engine, tmp_path / "repo", tmp_path)
    with engine.connect() as connection:
        unread = connection.execute(text("SELECT count(*) FROM attributions WHERE NOT fixes_read")).scalar_one()
    assert unread == 1  # the two intervals before were stored, each in its own transaction
    monkeypatch.setattr(commit_store, "store_fixes", real)
    assert backfilled(run(engine, tmp_path / "repo", tmp_path)) == 1
    assert dump(engine) == fresh
