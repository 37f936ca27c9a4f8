"""Occurrences stored before the context existed get it from the next ingest, exactly as a fresh ingest stores it."""

from pathlib import Path

import pygit2
import pytest
from alembic import command
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from app.models import UNCLASSIFIED, Occurrence
from ingest.backfill import context
from ingest.backfill.context import ContextBackfill
from ingest.backfill.protocol import Backfilled
from ingest.run import IngestOptions, IngestStats, ingest
from migrations.runner import HEAD_REVISION, alembic_config, current_revision
from tests.dump import dump
from tests.kernel_like import WITH_STABLE, build_history, build_torvalds_oddities

NO_CONTEXT = {"role": None, "callee": None, "argument": None, "flags": None, "negated": None}


def run(engine: Engine, repo: Path, tmp_path: Path) -> IngestStats:
    return ingest(engine, IngestOptions(str(repo), tmp_path / "cache", WITH_STABLE, jobs=1))


def backfilled(stats: IngestStats) -> int:
    """How many blobs got their occurrences' context filled in."""
    return stats.backfilled[ContextBackfill.name].done


def blobs_with_code(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count(func.distinct(Occurrence.blob_id))).where(Occurrence.kind == "code")
        return session.execute(query).scalar_one()


def unclassified(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Occurrence).where(UNCLASSIFIED)).scalar_one()


def forget_context(engine: Engine) -> None:
    """What a database ingested before migration 0004 holds once upgraded: no context anywhere."""
    with engine.begin() as connection:
        connection.execute(update(Occurrence).values(**NO_CONTEXT))


def test_a_database_from_before_the_context_is_upgraded_and_filled_like_a_fresh_one(
    engine: Engine, tmp_path: Path
) -> None:
    build_history(tmp_path / "linux")
    run(engine, tmp_path / "linux", tmp_path)
    fresh = dump(engine)
    assert {row[7] for row in fresh["occurrences"] if row[4] == "code"} >= {"argument", "policy", "call"}
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")  # the columns go: the occurrences are those of an older nofs
    assert current_revision(engine) == "0003"

    stats = run(engine, tmp_path / "linux", tmp_path)
    assert current_revision(engine) == HEAD_REVISION
    assert stats.releases_ingested == [] and backfilled(stats) == blobs_with_code(engine) > 5
    assert f"occurrence context filled in for {backfilled(stats)} blob(s)" in stats.summary()
    assert dump(engine) == fresh and unclassified(engine) == 0
    again = run(engine, tmp_path / "linux", tmp_path)
    assert backfilled(again) == 0 and "context" not in again.summary()


def test_a_killed_backfill_resumes_where_it_stopped(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_history(tmp_path / "linux")
    run(engine, tmp_path / "linux", tmp_path)
    fresh = dump(engine)
    forget_context(engine)
    before = unclassified(engine)
    monkeypatch.setattr(ContextBackfill, "batch", 2)
    real = context._context_rows
    batches = []

    def stop_in_the_third_batch(*args: object) -> object:
        batches.append(1)
        if len(batches) == 3:
            raise KeyboardInterrupt
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(context, "_context_rows", stop_in_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        run(engine, tmp_path / "linux", tmp_path)
    assert 0 < unclassified(engine) < before  # two batches committed, the third rolled back
    monkeypatch.setattr(context, "_context_rows", real)
    stats = run(engine, tmp_path / "linux", tmp_path)
    assert backfilled(stats) == blobs_with_code(engine) - 4
    assert dump(engine) == fresh


def test_blobs_the_repository_does_not_hold_are_left_and_said(engine: Engine, tmp_path: Path) -> None:
    build_history(tmp_path / "linux")
    run(engine, tmp_path / "linux", tmp_path)
    forget_context(engine)
    other = build_torvalds_oddities(tmp_path / "other").repo  # shares no blob with code occurrences
    with Session(engine) as session:
        here, elsewhere = (
            ContextBackfill().pending(session, pygit2.Repository(str(tmp_path / "linux"))),
            ContextBackfill().pending(session, other),
        )
    assert (len(here.todo), here.missing) == (blobs_with_code(engine), [])
    assert (elsewhere.todo, len(elsewhere.missing)) == ([], blobs_with_code(engine))
    stats = IngestStats()
    stats.backfilled[ContextBackfill.name] = Backfilled(2, ["a", "b", "c"])
    said = stats.summary()
    assert "occurrence context filled in for 2 blob(s) stored before it existed (3 not in this repository" in said


def test_intervals_attributed_before_the_change_split_are_attributed_again(engine: Engine, tmp_path: Path) -> None:
    build_history(tmp_path / "linux")
    run(engine, tmp_path / "linux", tmp_path)
    fresh = dump(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")  # the split goes: the attribution is that of an older nofs
    stats = run(engine, tmp_path / "linux", tmp_path)
    assert current_revision(engine) == HEAD_REVISION
    assert stats.releases_ingested == [] and stats.intervals_attributed == len(fresh["attributions"]) > 2
    assert dump(engine) == fresh
    assert run(engine, tmp_path / "linux", tmp_path).intervals_attributed == 0
