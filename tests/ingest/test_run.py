import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pygit2
import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from app.models import Attribution, Occurrence, Release, ReleaseFile
from app.models import Path as PathRow
from app.queries import counts, releases
from app.registry import NAMES
from ingest.errors import IngestError
from ingest.run import IngestOptions, IngestStats, ingest
from tests.dump import RELEASE_TABLES, dump, wipe
from tests.gitrepo import BASE_TIME, RepoBuilder
from tests.kernel_like import build_history, build_torvalds_oddities, git_grep, selection_of

FINAL_TAGS = ["v1.9", "v1.10", "v1.10.1", "v2.0"]


def run(
    engine: Engine, repo: Path, tmp_path: Path, jobs: int = 1, refs: tuple[str, ...] = (), **selection: object
) -> IngestStats:
    options = IngestOptions(str(repo), tmp_path / "cache", selection_of(selection), jobs=jobs, refs=refs)
    return ingest(engine, options)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    build_history(tmp_path / "linux")
    return tmp_path / "linux"


def totals(session: Session, tag: str, path: str) -> dict[str, int]:
    return {row.identifier: row.total for row in counts.path_report(session, tag, path).totals if row.total}


def test_every_release_directory_and_identifier_matches_git_grep(
    engine: Engine, session: Session, history: Path, tmp_path: Path
) -> None:
    stats = run(engine, history, tmp_path, jobs=2)
    assert stats.releases_ingested == FINAL_TAGS
    for tag in FINAL_TAGS:
        for directory in ("", "fs", "fs/btrfs", "fs/ext4", "mm", "include", "include/linux", "drivers/md"):
            expected = {name: n for name, n in git_grep(history, tag, directory).items() if name in NAMES}
            assert totals(session, tag, directory) == expected, (tag, directory)


def test_counts_by_kind_uses_and_definitions(engine: Engine, session: Session, history: Path, tmp_path: Path) -> None:
    run(engine, history, tmp_path)
    btrfs = {r.identifier: r for r in counts.path_report(session, "v1.9", "fs/btrfs").totals}
    assert (btrfs["GFP_NOFS"].uses, btrfs["GFP_NOFS"].counts.comment, btrfs["GFP_NOFS"].counts.string) == (3, 1, 1)
    gfp_h = {r.identifier: r for r in counts.path_report(session, "v1.9", "include/linux/gfp.h").totals}
    assert (gfp_h["GFP_NOFS"].counts.definition, gfp_h["GFP_NOFS"].uses, gfp_h["GFP_NOFS"].counts.comment) == (1, 0, 1)
    sched = {r.identifier: r for r in counts.path_report(session, "v1.9", "include/linux/sched").totals}
    assert sched["memalloc_nofs_save"].counts.definition == 1 and sched["memalloc_nofs_save"].uses == 0
    after = {r.identifier: r for r in counts.path_report(session, "v1.10", "fs/btrfs").totals}
    assert after["GFP_NOFS"].uses == 1 and after["memalloc_nofs_save"].uses == 1


def test_directory_children_and_files(engine: Engine, session: Session, history: Path, tmp_path: Path) -> None:
    run(engine, history, tmp_path)
    report = counts.path_report(session, "v1.9", "fs", "GFP_NOFS")
    assert {(r.name, r.type, r.total) for r in report.rows} == {
        ("fs/btrfs", "dir", 5),
        ("fs/ext4", "dir", 2),
        ("fs/namei.c", "file", 1),
        ("fs/latin1.c", "file", 1),
    }
    assert [r.total for r in report.totals] == [9]


def test_subsystems_follow_maintainers(engine: Engine, session: Session, history: Path, tmp_path: Path) -> None:
    run(engine, history, tmp_path)
    rows = {(r.name, r.identifier): r.uses for r in counts.subsystem_report(session, "v1.9").rows}
    assert rows[("BTRFS FILE SYSTEM", "GFP_NOFS")] == 3
    assert rows[("EXT4 FILE SYSTEM", "GFP_NOFS")] == 1  # "F: fs/ext4" names a directory
    assert rows[("MEMORY MANAGEMENT", "GFP_NOIO")] == 1
    assert rows[("THE REST", "GFP_NOIO")] == 2  # drivers/md
    assert rows[("THE REST", "GFP_NOFS")] == 2  # fs/namei.c, fs/latin1.c


def test_binary_skipped_non_utf8_counted_symlinks_and_other_files_ignored(
    engine: Engine, session: Session, history: Path, tmp_path: Path
) -> None:
    stats = run(engine, history, tmp_path)
    assert stats.binary_skipped == 1 and stats.not_utf8 == 1
    files = set(
        session.execute(
            select(PathRow.path)
            .join(ReleaseFile, ReleaseFile.path_id == PathRow.id)
            .join(Release, Release.id == ReleaseFile.release_id)
            .where(Release.tag == "v1.9")
        ).scalars()
    )
    assert "fs/latin1.c" in files
    assert not files & {
        "fs/binary.c",
        "fs/alias.c",
        "Makefile",
        "Documentation/gfp.txt",
        "drivers/md/plain.c",
    }


def test_occurrences_have_lines_functions_and_text(
    engine: Engine, session: Session, history: Path, tmp_path: Path
) -> None:
    run(engine, history, tmp_path)
    rows = session.execute(
        select(Occurrence.line, Occurrence.kind, Occurrence.function, Occurrence.text)
        .where(Occurrence.identifier == "GFP_NOFS")
        .where(Occurrence.text.contains("ext4"))
    ).all()
    assert rows == []  # the line text is the source line, not the path
    ext4 = session.execute(
        select(Occurrence.line, Occurrence.col, Occurrence.kind, Occurrence.function, Occurrence.text)
        .where(Occurrence.identifier == "GFP_NOFS", Occurrence.text.contains("kmalloc(1, GFP_NOFS) != 0"))
        .order_by(Occurrence.col)
    ).all()
    assert [(r.line, r.kind, r.function) for r in ext4] == [
        (3, "code", "ext4_fill"),
        (3, "comment", "ext4_fill"),
    ]
    assert ext4[0].text == "\treturn kmalloc(1, GFP_NOFS) != 0; // GFP_NOFS"


def test_releases_store_tag_commit_and_date_in_version_order(
    engine: Engine, session: Session, history: Path, tmp_path: Path
) -> None:
    run(engine, history, tmp_path)
    stored = releases.releases(session)
    assert [r.tag for r in stored] == FINAL_TAGS
    repo = pygit2.Repository(str(history))
    for release in stored:
        commit = repo.revparse_single(release.tag).peel(pygit2.Commit)
        assert release.commit_id == str(commit.id)
        assert release.commit_date.astimezone(UTC) == datetime.fromtimestamp(commit.commit_time, UTC)
    assert stored[0].commit_date > datetime.fromtimestamp(BASE_TIME, UTC)


def test_rc_only_when_asked(engine: Engine, history: Path, tmp_path: Path) -> None:
    assert "v2.0-rc1" in run(engine, history, tmp_path, include_rc=True).releases_ingested


def test_rerun_ingests_only_what_is_new(engine: Engine, history: Path, tmp_path: Path) -> None:
    first = run(engine, history, tmp_path, until="v1.10")
    assert first.releases_ingested == ["v1.9", "v1.10"]
    again = run(engine, history, tmp_path, until="v1.10")
    assert (again.releases_ingested, again.releases_unchanged, again.blobs_scanned) == ([], 2, 0)
    rest = run(engine, history, tmp_path)
    assert rest.releases_ingested == ["v1.10.1", "v2.0"]
    assert rest.blobs_scanned == 3  # only the changed tracked files: raid1.c, then xfs_buf.c and one more


def test_incremental_runs_equal_one_full_run(engine: Engine, history: Path, tmp_path: Path, db_url: str) -> None:
    run(engine, history, tmp_path, since="v1.10.1")  # newest first: older ones are then diffed backwards
    run(engine, history, tmp_path, until="v1.9")
    run(engine, history, tmp_path)
    piecemeal = dump(engine)
    wipe(engine, RELEASE_TABLES)
    run(engine, history, tmp_path)
    assert dump(engine) == piecemeal


def test_moved_tag_is_reingested_and_reported(engine: Engine, session: Session, history: Path, tmp_path: Path) -> None:
    run(engine, history, tmp_path)
    repo = pygit2.Repository(str(history))
    head = repo.revparse_single("v2.0").peel(pygit2.Commit)
    tree = repo.TreeBuilder(head.tree)
    tree.insert("extra.c", repo.create_blob(b"int e = GFP_NOIO;\n"), pygit2.GIT_FILEMODE_BLOB)
    moved = repo.create_commit(None, head.author, head.committer, "moved", tree.write(), [head.id])
    repo.references.delete("refs/tags/v2.0")
    repo.references.create("refs/tags/v2.0", moved)
    stats = run(engine, history, tmp_path)
    assert stats.releases_moved == ["v2.0"] and stats.releases_ingested == ["v2.0"]
    assert "moved" in stats.summary()
    assert totals(session, "v2.0", "")["GFP_NOIO"] == dict(git_grep(history, "v2.0"))["GFP_NOIO"]
    assert session.execute(select(func.count()).select_from(Release).where(Release.tag == "v2.0")).scalar() == 1


def test_tree_without_maintainers_is_all_the_rest(engine: Engine, session: Session, tmp_path: Path) -> None:
    builder = RepoBuilder(tmp_path / "plain", bare=True)
    builder.commit({"src/a.c": b"int a = GFP_NOFS;\n"})
    builder.tag("v0.1")
    run(engine, tmp_path / "plain", tmp_path)
    assert [(r.name, r.uses) for r in counts.subsystem_report(session, None, "GFP_NOFS").rows] == [("THE REST", 1)]


def test_no_matching_tags_is_an_error(engine: Engine, history: Path, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"no release tag matches '\^release-'"):
        run(engine, history, tmp_path, pattern=r"^release-")


def test_jobs_do_not_change_the_result(engine: Engine, history: Path, tmp_path: Path, db_url: str) -> None:
    run(engine, history, tmp_path, jobs=1)
    one = dump(engine)
    wipe(engine)
    run(engine, history, tmp_path, jobs=3)
    assert dump(engine) == one


def test_torvalds_oddities_are_skipped_or_counted_never_fatal(engine: Engine, session: Session, tmp_path: Path) -> None:
    build_torvalds_oddities(tmp_path / "linux")
    stats = run(engine, tmp_path / "linux", tmp_path, include_stable=False)
    assert stats.releases_ingested == ["v2.6.12", "v2.6.13", "v2.6.15"]
    assert [(s.name, s.reason) for s in stats.skipped] == [
        ("v2.6.11", "points at a tree, not a commit"),
        ("v2.6.14", "points at a blob, not a commit"),
    ]
    assert "skipped 2 tag(s): v2.6.11 (points at a tree, not a commit), v2.6.14 (points at a blob" in stats.summary()
    # the tag of a tag is read through to its commit; a tree with no .c/.h is a release with zeros
    for tag in ("v2.6.12", "v2.6.13", "v2.6.15"):
        expected = {name: n for name, n in git_grep(tmp_path / "linux", tag).items() if name in NAMES}
        assert totals(session, tag, "") == expected, tag
    assert totals(session, "v2.6.13", "fs")["GFP_NOFS"] == 3
    # the Latin-1 path is stored as git shows it, and round-trips when the next release diffs against it
    listed = subprocess.run(["git", "-C", str(tmp_path / "linux"), "ls-tree", "-r", "--name-only", "v2.6.13", "fs/"],
                            capture_output=True, check=True)  # fmt: skip
    shown = listed.stdout.decode().splitlines()[0]
    assert shown == '"fs/caf\\351/inode.c"'
    children = {row.name for row in counts.path_report(session, "v2.6.13", "fs").rows}
    assert children == {'"fs/caf\\351"', "fs/ext4"}
    assert {row.name for row in counts.path_report(session, "v2.6.13", '"fs/caf\\351"').rows} == {shown}
    assert totals(session, "v2.6.15", "") == {}  # the file went away with the rest


def test_a_stable_series_ingests_with_its_mainline_release(engine: Engine, session: Session, tmp_path: Path) -> None:
    build_torvalds_oddities(tmp_path / "linux")
    stats = run(engine, tmp_path / "linux", tmp_path, include_stable=True)
    assert stats.releases_ingested == ["v2.6.12", "v2.6.13", "v2.6.15", "v2.6.15.1"]
    lines = dict(session.execute(select(Release.tag, Release.line)).all())
    assert lines == {"v2.6.12": "mainline", "v2.6.13": "mainline", "v2.6.15": "mainline", "v2.6.15.1": "stable"}


def test_older_databases_get_lines_and_keys_from_their_tags(
    engine: Engine, session: Session, history: Path, tmp_path: Path
) -> None:
    run(engine, history, tmp_path)
    with engine.begin() as connection:  # as revision 0002 left them: no line, old-style keys
        connection.execute(update(Release).values(line="mainline", series="", sort_key="000001.000009.000000z"))
    run(engine, history, tmp_path)
    stored = session.execute(select(Release.tag, Release.line, Release.series).order_by(Release.sort_key)).all()
    assert stored == [("v1.9", "mainline", "v1.9"), ("v1.10", "mainline", "v1.10"), ("v1.10.1", "stable", "v1.10"),
                      ("v2.0", "mainline", "v2.0")]  # fmt: skip


def _queue(builder: RepoBuilder, branch: str, changes: dict[str, bytes | None], message: str) -> pygit2.Oid:
    """A commit on `branch` (made from master's files), as a maintainer queues work for the next window."""
    ref = f"refs/heads/{branch}"
    parent = builder.repo.references[ref].target if ref in builder.repo.references else builder.head
    files = {**builder.files, **{p: c for p, c in changes.items() if c is not None}}
    return builder.commit_on([parent], files, message, author="Maintainer", ref=ref)


def test_a_moving_branch_is_a_provisional_point_replaced_when_it_moves(
    engine: Engine, session: Session, tmp_path: Path, db_url: str
) -> None:
    builder = build_history(tmp_path / "linux")
    _queue(builder, "for-next", {"fs/xfs/xfs_buf.c": b"void x(void)\n{\n\tmemalloc_nofs_save();\n}\n"}, "xfs: scope")
    stats = run(engine, tmp_path / "linux", tmp_path, refs=("for-next",))
    assert stats.releases_ingested[-1] == "for-next" and "provisional: for-next at " in stats.summary()
    stored = session.execute(select(Release.tag, Release.line, Release.series).order_by(Release.sort_key)).all()
    assert stored[-1] == ("for-next", "ref", "for-next")
    assert totals(session, "for-next", "") == {
        name: n for name, n in git_grep(tmp_path / "linux", "for-next").items() if name in NAMES
    }
    # attributed since the newest release: only the queued commit
    interval = session.execute(
        select(Attribution.from_tag, Attribution.commits_walked).join(Release).where(Release.tag == "for-next")
    ).one()
    assert interval == ("v2.0", 1)
    _queue(builder, "for-next", {"fs/xfs/xfs_buf.c": b"void x(void)\n{\n}\n"}, "xfs: drop it")
    moved = run(engine, tmp_path / "linux", tmp_path, refs=("for-next",))
    assert moved.releases_moved == ["for-next"]
    again = dump(engine)
    wipe(engine, RELEASE_TABLES)
    run(engine, tmp_path / "linux", tmp_path, refs=("for-next",))
    assert {k: v for k, v in dump(engine).items() if k != "commits"} == {
        k: v for k, v in again.items() if k != "commits"
    }


def test_the_newest_tag_of_a_glob_is_the_ref_and_a_newer_one_replaces_it(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    builder = build_history(tmp_path / "linux")
    builder.tag("next-20261120", target=_queue(builder, "next", {"fs/n.c": b"int n = GFP_NOFS;\n"}, "next: one"))
    builder.tag("next-20261119", target=builder.head)
    run(engine, tmp_path / "linux", tmp_path, refs=("next-*",))
    refs = session.execute(select(Release.tag).where(Release.line == "ref")).scalars().all()
    assert refs == ["next-20261120"]
    builder.tag("next-20261121", target=_queue(builder, "next", {"fs/n.c": b"int n = 0;\n"}, "next: two"))
    run(engine, tmp_path / "linux", tmp_path, refs=("next-*",))
    session.rollback()  # end the read transaction: its snapshot predates the second ingest
    refs = session.execute(select(Release.tag).where(Release.line == "ref")).scalars().all()
    assert refs == ["next-20261121"]
    assert totals(session, "next-20261121", "fs/n.c") == {}


def test_a_ref_that_is_not_there_is_one_clear_error(engine: Engine, history: Path, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"--ref for-next: no branch or tag of that name"):
        run(engine, history, tmp_path, refs=("for-next",))
    with pytest.raises(IngestError, match=r"--ref next-\*: no tag matches it"):
        run(engine, history, tmp_path, refs=("next-*",))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite plans from its indexes alone
def test_an_ingest_leaves_postgresql_planning_from_fresh_statistics(
    engine: Engine, history: Path, tmp_path: Path
) -> None:
    """Autovacuum may be off or behind a bulk load (it is off on this machine's cluster): the ingest
    refreshes the statistics itself, or PostgreSQL plans for empty tables (10 s comparisons)."""
    run(engine, history, tmp_path)
    with engine.connect() as connection:
        analyzed = dict(
            connection.execute(
                text("SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname IN "
                     "('occurrences', 'path_counts', 'release_files', 'commit_changes')")
            ).all()
        )  # fmt: skip
        estimate = connection.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'occurrences'")).scalar_one()
        stored = connection.execute(text("SELECT count(*) FROM occurrences")).scalar_one()
    assert analyzed == dict.fromkeys(("occurrences", "path_counts", "release_files", "commit_changes"), True)
    assert estimate == stored
