"""`nofs scopes` on a real repository and migrated database: what it stores, re-runs, resumes and refuses."""

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text

from app.scope_rules import RULE_VERSION
from cli.main import main
from ingest.scopes import run as scope_run
from tests.dump import dump
from tests.scope_history import BTRFS, RAID1, XFS, build_scope_history


def nofs(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def ingested(db_url: str, tmp_path: Path) -> Path:
    build_scope_history(tmp_path / "linux")
    result = nofs("ingest", "--jobs", "1", "--no-commits", str(tmp_path / "linux"))
    assert result.exit_code == 0, result.output
    return tmp_path / "linux"


def stored(engine: Engine, tag: str) -> set[tuple[str, str, int, str, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT f.kind, p.path, f.line, f.how, f.identifier, s.name FROM scope_findings f "
                "JOIN releases r ON r.id = f.release_id JOIN paths p ON p.id = f.path_id "
                "LEFT JOIN subsystems s ON s.id = f.subsystem_id WHERE r.tag = :tag"
            ),
            {"tag": tag},
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def test_the_newest_release_is_read_and_its_findings_stored_with_their_evidence(ingested: Path, engine: Engine) -> None:
    result = nofs("scopes", str(ingested))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == result.stdout.strip().splitlines()[0]
    assert "read 1 release(s)" in result.stdout and "v2.1: 3 redundant in scope" in result.stdout
    xfs = "XFS FILESYSTEM"
    assert {row[:4] for row in stored(engine, "v2.1")} == {
        ("redundant", BTRFS, 5, "here"),
        ("wrapper_scope", BTRFS, 4, "here"),
        ("opener", XFS, 3, "here"),
        ("closer", XFS, 9, "here"),
        ("redundant", XFS, 14, "callers"),
        ("unpaired_save", RAID1, 3, "here"),
        ("redundant", RAID1, 4, "here"),
    }
    assert {row[5] for row in stored(engine, "v2.1") if row[1] == XFS} == {xfs}
    with engine.connect() as connection:
        evidence, line_text = connection.execute(
            text("SELECT evidence, text FROM scope_findings WHERE kind = 'redundant' AND how = 'callers'")
        ).one()
        analysis = connection.execute(
            text("SELECT a.rule, a.uses FROM scope_analyses a JOIN releases r ON r.id = a.release_id")
        ).one()
        counted = connection.execute(
            text(
                "SELECT sum(c.code) FROM path_counts c JOIN paths p ON p.id = c.path_id "
                "JOIN releases r ON r.id = c.release_id "
                "WHERE p.path = '' AND r.tag = 'v2.1' AND c.identifier IN ('GFP_NOFS', 'GFP_NOIO')"
            )
        ).scalar_one()
    if isinstance(evidence, str):  # JSON as text on SQLite drivers that do not decode it
        import json

        evidence = json.loads(evidence)
    assert line_text == "\treturn kmalloc(8, GFP_NOFS);"
    assert [(step["function"], step["line"], step["text"]) for step in evidence] == [
        ("xfs_bar", 20, "\txfs_foo();"),
        ("xfs_trans_alloc", 3, "\ttp->t_pflags = memalloc_nofs_save();"),
    ]
    assert "calls xfs_foo() inside a scope" in evidence[0]["why"]
    # every code use of the release is judged: the analysis reconciles with the stored count
    assert analysis == (RULE_VERSION, counted)


def test_a_rerun_reads_nothing_and_release_reads_again_to_the_same_rows(ingested: Path, engine: Engine) -> None:
    assert nofs("scopes", "--all", str(ingested)).exit_code == 0
    before, findings = dump(engine), {tag: stored(engine, tag) for tag in ("v2.0", "v2.1")}
    again = nofs("scopes", "--all", str(ingested))
    assert again.exit_code == 0 and "nothing to read" in again.stdout
    reread = nofs("scopes", "--release", "v2.1", str(ingested))
    assert reread.exit_code == 0 and "read 1 release(s)" in reread.stdout
    assert dump(engine) == before  # counts, paths, subsystems: nothing else is touched
    assert {tag: stored(engine, tag) for tag in ("v2.0", "v2.1")} == findings


def test_a_run_killed_mid_release_keeps_what_was_stored_and_resumes_to_the_same_rows(
    ingested: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert nofs("scopes", "--all", str(ingested)).exit_code == 0
    whole = {tag: stored(engine, tag) for tag in ("v2.0", "v2.1")}
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM scope_findings"))
        connection.execute(text("DELETE FROM scope_analyses"))
    real_store = scope_run._store
    calls = []

    def dying_store(*args: object, **kwargs: object) -> None:
        calls.append(1)
        real_store(*args, **kwargs)  # type: ignore[arg-type]
        if len(calls) == 3:
            raise KeyboardInterrupt  # killed inside the third release's transaction

    monkeypatch.setattr(scope_run, "_store", dying_store)
    with pytest.raises(KeyboardInterrupt):
        scope_run.read_releases(engine, options(ingested, every=True))
    with engine.connect() as connection:
        read = connection.execute(text("SELECT count(*) FROM scope_analyses")).scalar_one()
    assert read == 2  # the first two releases are kept whole, the third rolled back
    monkeypatch.setattr(scope_run, "_store", real_store)
    scope_run.read_releases(engine, options(ingested, every=True))
    assert {tag: stored(engine, tag) for tag in ("v2.0", "v2.1")} == whole


def options(source: Path, every: bool = False, tags: tuple[str, ...] = ()) -> scope_run.ScopeOptions:
    return scope_run.ScopeOptions(str(source), source.parent / "cache", ("*.c", "*.h"), 240, tags, every)


def test_bad_input_is_one_line_and_exit_1(db_url: str, ingested: Path, tmp_path: Path) -> None:
    unknown = nofs("scopes", "--release", "v9.9", str(ingested))
    assert unknown.exit_code == 1 and unknown.stderr.strip() == "nofs: error: not an ingested release: v9.9"
    both = nofs("scopes", "--all", "--release", "v2.1", str(ingested))
    assert both.exit_code == 1 and "cannot be combined" in both.stderr
    missing = nofs("scopes", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "no such file or directory" in missing.stderr
    assert "Traceback" not in unknown.stderr + both.stderr + missing.stderr


def test_releases_read_in_one_run_share_blobs_and_facts_yet_read_as_each_alone(ingested: Path, engine: Engine) -> None:
    tags = ("v2.0", "v2.1")
    for tag in tags:  # each in its own run: nothing held from another release
        scope_run.read_releases(engine, options(ingested, tags=(tag,)))
    alone = {tag: stored(engine, tag) for tag in tags}
    scope_run.read_releases(engine, options(ingested, tags=tags))  # one run: v2.1 reuses v2.0's unchanged files
    assert {tag: stored(engine, tag) for tag in tags} == alone
    assert alone["v2.0"] != alone["v2.1"]


def _scopes_read(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT r.tag FROM scope_analyses a JOIN releases r ON r.id = a.release_id ORDER BY r.sort_key")
        )
        return [tag for (tag,) in rows]


def test_ingest_with_scopes_reads_each_new_mainline_release_after_it_is_ingested(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """What the deployment's worker does each round: the newest mainline release first (not the history before
    it, which would take a kernel's worker hours), then every mainline release a later round ingests."""
    repo = build_scope_history(tmp_path / "linux")
    first = nofs("ingest", "--jobs", "1", "--no-commits", "--scopes", str(tmp_path / "linux"))
    assert first.exit_code == 0, first.output
    assert "scopes: read 1 release(s)" in first.stdout and "v2.1: 3 redundant in scope" in first.stdout
    assert _scopes_read(engine) == ["v2.1"]
    repo.release("v2.2", {"fs/ext4/new.c": b"int f(void) { return kmalloc(1, GFP_NOFS) != 0; }\n"})
    repo.release("v2.3", {"fs/ext4/newer.c": b"int g(void) { return kmalloc(1, GFP_NOFS) != 0; }\n"})
    second = nofs("ingest", "--jobs", "1", "--no-commits", "--scopes", str(tmp_path / "linux"))
    assert second.exit_code == 0, second.output
    assert "scopes: read 2 release(s)" in second.stdout and _scopes_read(engine) == ["v2.1", "v2.2", "v2.3"]
    third = nofs("ingest", "--jobs", "1", "--no-commits", "--scopes", str(tmp_path / "linux"))
    assert third.exit_code == 0 and "scopes: nothing to read" in third.stdout
    assert stored(engine, "v2.3") == stored(engine, "v2.1")  # the new files hold no scope


def test_a_release_another_worker_holds_is_left_to_it(pg_engine: Engine, tmp_path: Path) -> None:
    from ingest.store import Claims

    build_scope_history(tmp_path / "linux")
    assert nofs("ingest", "--jobs", "1", "--no-commits", str(tmp_path / "linux")).exit_code == 0
    other = Claims(pg_engine)  # another worker, reading v2.1 now
    assert other.take("scopes v2.1")
    unread = scope_run.ScopeOptions(str(tmp_path / "linux"), tmp_path / "cache", ("*.c",), 240, unread=True)
    stats = scope_run.read_releases(pg_engine, unread)
    assert stats.elsewhere == ["v2.1"] and not stats.read and _scopes_read(pg_engine) == []
    assert "left to other workers: v2.1" in stats.summary()
    other.give_back("scopes v2.1")
    other.close()
    assert scope_run.read_releases(pg_engine, unread).read == ["v2.1"]
    assert scope_run.read_releases(pg_engine, unread).kept == []  # nothing newer: nothing asked


def test_a_url_is_read_from_its_mirror_without_fetching(db_url: str, tmp_path: Path) -> None:
    never = nofs("scopes", "https://git.example.invalid/linux.git")
    assert never.exit_code == 1 and "has no mirror" in never.stderr and "nofs ingest" in never.stderr
