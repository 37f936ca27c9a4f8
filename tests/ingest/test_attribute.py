"""Attribution on a history with a topic branch, a sub-merge, a conflict resolution, a rename, a file
touched twice, and a stable release off the mainline (whose first-parent line misses it)."""

import logging
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pygit2
import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session

from app.models import Attribution, Blob, CleanBlob, Commit
from ingest.merge_base import Reach
from ingest.run import IngestOptions, IngestStats, ingest
from ingest.store import ancestors
from tests.dump import dump, wipe
from tests.gitrepo import RepoBuilder
from tests.kernel_like import selection_of

MAINTAINERS = b"FS A\nS:\tMaintained\nF:\tfs/a/\n\nFS B\nS:\tMaintained\nF:\tfs/b/\n\n"


def source(nofs: int, scoped: int = 0, noio: int = 0) -> bytes:
    lines = [f"\tp{i} = kmalloc({i}, GFP_NOFS);" for i in range(nofs)]
    lines += [f"\tf{i} = memalloc_nofs_save();\n\tmemalloc_nofs_restore(f{i});" for i in range(scoped)]
    lines += [f"\tq{i} = kmalloc({i}, GFP_NOIO);" for i in range(noio)]
    return ("int f(void)\n{\n" + "\n".join(lines) + "\n\treturn 0;\n}\n").encode()


CONVERT_MESSAGE = """fs/a: convert two allocations to a NOFS scope

Longer explanation.

Link: https://lore.kernel.org/r/convert-1
Link: https://lore.kernel.org/r/convert-2
Signed-off-by: Alice <alice@example.invalid>
"""


def build(path: Path) -> dict[str, pygit2.Oid]:
    """v1.0 -> v1.1 (a pull with a resolution) -> v1.1.1 (stable, off mainline) -> v1.2 (on mainline)."""
    repo = RepoBuilder(path)
    base = {"MAINTAINERS": MAINTAINERS, "fs/a/x.c": source(3), "fs/b/y.c": source(1), "mm/z.c": source(0)}
    c: dict[str, pygit2.Oid] = {"root": repo.commit(base, "Linux v1.0")}
    repo.tag("v1.0")
    c["t1"] = repo.commit_on([c["root"]], {**base, "fs/a/x.c": source(1, 1)}, CONVERT_MESSAGE, "Alice")
    topic = {**base, "fs/a/x.c": source(0, 2)}
    c["t2"] = repo.commit_on([c["t1"]], topic, "fs/a: convert the last one", "Alice")  # the same file again
    side = {**base, "fs/a/x.c": source(1, 1), "mm/z.c": source(0, 0, 1)}
    c["s1"] = repo.commit_on([c["t1"]], side, "mm: noio", "Bob")
    topic = {**topic, "mm/z.c": source(0, 0, 1)}
    c["t3"] = repo.commit_on([c["t2"], c["s1"]], topic, "Merge branch 'mm-fix' into fs-a", "Alice")  # clean
    c["m1"] = repo.commit_on([c["root"]], {**base, "fs/b/y.c": source(2)}, "fs/b: add one", "Carol")
    mainline = {"MAINTAINERS": MAINTAINERS, "fs/a/x.c": source(3), "fs/c/y.c": source(2), "mm/z.c": source(0)}
    c["m2"] = repo.commit_on([c["m1"]], mainline, "fs/b: move y.c to fs/c", "Carol")  # a rename
    merged = {**mainline, "fs/a/x.c": source(1, 2), "mm/z.c": source(0, 0, 1)}  # the resolution adds one GFP_NOFS
    c["merge"] = repo.merge([c["m2"], c["t3"]], merged, "Merge tag 'fs-a-for-1.1' of git://example.invalid/fs-a")
    repo.tag("v1.1")
    c["stable"] = repo.commit_on([c["merge"]], {**merged, "fs/c/y.c": source(1)}, "fs/c: stable fix", "Dave")
    repo.tag("v1.1.1", target=c["stable"])
    c["next"] = repo.commit_on([c["merge"]], {**merged, "fs/a/x.c": source(3, 2)}, "fs/a: regress", "Eve")
    repo.repo.references.create("refs/heads/master", c["next"], force=True)
    repo.tag("v1.2", target=c["next"])
    return c


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[str, pygit2.Oid]]:
    commits = build(tmp_path / "repo")
    return tmp_path / "repo", commits


def run(engine: Engine, repo: Path, tmp_path: Path, commits: bool = True, **selection: object) -> IngestStats:
    options = IngestOptions(str(repo), tmp_path / "cache", selection_of(selection), jobs=1, commits=commits)  # type: ignore[arg-type]
    return ingest(engine, options)


def changes(session: Session, view: str) -> dict[tuple[str, str, str, str], int]:
    """(release, commit subject, path, identifier) -> change in uses."""
    rows = session.execute(
        text(
            """SELECT r.tag, c.subject, p.path, x.identifier, x.code FROM commit_changes x
               JOIN releases r ON r.id = x.release_id JOIN commits c ON c.id = x.commit_id
               JOIN paths p ON p.id = x.path_id WHERE x.view = :view"""
        ),
        {"view": view},
    )
    return {(tag, subject, path, identifier): code for tag, subject, path, identifier, code in rows}


def test_each_commit_own_change(engine: Engine, session: Session, history, tmp_path: Path) -> None:
    repo, _ = history
    stats = run(engine, repo, tmp_path)
    own = changes(session, "own")
    in_1_1 = {k[1:]: v for k, v in own.items() if k[0] == "v1.1"}
    assert in_1_1 == {
        ("fs/a: convert two allocations to a NOFS scope", "fs/a/x.c", "GFP_NOFS"): -2,
        ("fs/a: convert two allocations to a NOFS scope", "fs/a/x.c", "memalloc_nofs_save"): 1,
        ("fs/a: convert two allocations to a NOFS scope", "fs/a/x.c", "memalloc_nofs_restore"): 1,
        ("fs/a: convert the last one", "fs/a/x.c", "GFP_NOFS"): -1,
        ("fs/a: convert the last one", "fs/a/x.c", "memalloc_nofs_save"): 1,
        ("fs/a: convert the last one", "fs/a/x.c", "memalloc_nofs_restore"): 1,
        ("mm: noio", "mm/z.c", "GFP_NOIO"): 1,
        ("fs/b: add one", "fs/b/y.c", "GFP_NOFS"): 1,
        ("fs/b: move y.c to fs/c", "fs/b/y.c", "GFP_NOFS"): -2,  # no rename detection: gone here …
        ("fs/b: move y.c to fs/c", "fs/c/y.c", "GFP_NOFS"): 2,  # … and new there
        # the clean sub-merge did nothing itself; the pull's resolution added one GFP_NOFS
        ("Merge tag 'fs-a-for-1.1' of git://example.invalid/fs-a", "fs/a/x.c", "GFP_NOFS"): 1,
    }
    assert {k[1:]: v for k, v in own.items() if k[0] == "v1.1.1"} == {("fs/c: stable fix", "fs/c/y.c", "GFP_NOFS"): -1}
    assert {k[1:]: v for k, v in own.items() if k[0] == "v1.2"} == {("fs/a: regress", "fs/a/x.c", "GFP_NOFS"): 2}
    assert stats.intervals_attributed == 4 and stats.commits_walked == 7 + 1 + 1
    assert "attributed 4 release(s)" in stats.summary()


def test_first_parent_steps(engine: Engine, session: Session, history, tmp_path: Path) -> None:
    repo, c = history
    run(engine, repo, tmp_path)
    steps = dict(
        session.execute(
            text(
                """SELECT c.oid, rc.step FROM release_commits rc JOIN commits c ON c.id = rc.commit_id
                   JOIN releases r ON r.id = rc.release_id WHERE r.tag = 'v1.1'"""
            )
        ).all()
    )
    # m1, m2 and the merge are the line from v1.0; the topic's commits are off it
    assert steps == {str(c["m1"]): 1, str(c["m2"]): 2, str(c["merge"]): 3, str(c["t1"]): None, str(c["t2"]): None,
                     str(c["s1"]): None}  # fmt: skip
    merge_step = {k[2:]: v for k, v in changes(session, "step").items() if k[:2] == ("v1.1", k[1]) and "Merge" in k[1]}
    assert merge_step == {
        ("fs/a/x.c", "GFP_NOFS"): -2,
        ("fs/a/x.c", "memalloc_nofs_save"): 2,
        ("fs/a/x.c", "memalloc_nofs_restore"): 2,
        ("mm/z.c", "GFP_NOIO"): 1,
    }


def test_intervals_follow_release_lines(engine: Engine, session: Session, history, tmp_path: Path) -> None:
    """v1.2 (mainline) is attributed from v1.1, not from the stable v1.1.1 that sorts between them;
    v1.1.1 from v1.1, the start of its series."""
    repo, c = history
    run(engine, repo, tmp_path)
    rows = session.execute(
        text("SELECT r.tag, a.from_tag, a.base_commit FROM attributions a JOIN releases r ON r.id = a.release_id")
    ).all()
    assert sorted(rows, key=lambda row: row[0]) == [
        ("v1.0", None, None),
        ("v1.1", "v1.0", str(c["root"])),
        ("v1.1.1", "v1.1", str(c["merge"])),
        ("v1.2", "v1.1", str(c["merge"])),
    ]
    assert telescoping_failures(engine) == []


def test_stable_release_off_the_line_gets_a_base_step(
    engine: Engine, session: Session, history, tmp_path: Path
) -> None:
    """A history of stable releases only (distribution kernels): v1.2.1 follows v1.1.1 in version order,
    which is not on its first-parent line."""
    repo, c = history
    RepoBuilder(repo).tag("v1.2.1", target=c["next"])
    run(engine, repo, tmp_path, pattern=r"^v1\.(1\.1|2\.1)$")
    row = session.execute(
        text(
            """SELECT a.from_tag, a.from_commit, a.base_commit FROM attributions a
               JOIN releases r ON r.id = a.release_id WHERE r.tag = 'v1.2.1'"""
        )
    ).one()
    assert row == ("v1.1.1", str(c["stable"]), str(c["merge"]))
    base = {k[1:]: v for k, v in changes(session, "step").items() if k[0] == "v1.2.1" and k[1].startswith("Merge")}
    assert base == {("Merge tag 'fs-a-for-1.1' of git://example.invalid/fs-a", "fs/c/y.c", "GFP_NOFS"): 1}
    step_of_base = session.execute(
        text(
            """SELECT rc.step FROM release_commits rc JOIN commits c ON c.id = rc.commit_id
               JOIN releases r ON r.id = rc.release_id WHERE r.tag = 'v1.2.1' AND c.oid = :oid"""
        ),
        {"oid": str(c["merge"])},
    ).scalar_one()
    assert step_of_base == 0


def telescoping_failures(engine: Engine) -> list[str]:
    """For every attributed release, directory (every level), identifier and kind: the first-parent
    steps added up must equal the release's count minus the previous release's."""
    with engine.connect() as connection:
        counts: dict[str, Counter[tuple[str, str, int]]] = defaultdict(Counter)
        for tag, path, identifier, *kinds in connection.execute(
            text(
                """SELECT r.tag, p.path, c.identifier, c.code, c.comment, c.string, c.definition
                   FROM path_counts c JOIN releases r ON r.id = c.release_id JOIN paths p ON p.id = c.path_id"""
            )
        ):
            for kind, value in enumerate(kinds):
                counts[tag][(path, identifier, kind)] += value
        steps: dict[str, Counter[tuple[str, str, int]]] = defaultdict(Counter)
        for tag, path, identifier, *kinds in connection.execute(
            text(
                """SELECT r.tag, p.path, x.identifier, x.code, x.comment, x.string, x.definition
                   FROM commit_changes x JOIN releases r ON r.id = x.release_id JOIN paths p ON p.id = x.path_id
                   WHERE x.view = 'step'"""
            )
        ):
            for place in (path, *ancestors(path)):
                for kind, value in enumerate(kinds):
                    steps[tag][(place, identifier, kind)] += value
        intervals = connection.execute(
            text("SELECT r.tag, a.from_tag FROM attributions a JOIN releases r ON r.id = a.release_id")
        ).all()
        # each row's change in uses, split by kind of change, adds up to it
        splits = connection.execute(
            text(
                """SELECT x.commit_id, x.view, x.path_id, x.identifier, x.code, x.converted, x.removed_with_code,
                          x.moved_out, x.moved_in, x.added_new, x.added_existing FROM commit_changes x"""
            )
        ).all()
    failures = [
        f"split of {row[:4]} {row[5:]} is not its change in uses {row[4]}"
        for row in splits
        if None in row[5:] or sum(row[8:]) - sum(row[5:8]) != row[4]
    ]
    for tag, from_tag in intervals:
        if from_tag is None:
            continue
        change = Counter(counts[tag])
        change.subtract(counts[from_tag])
        for key in set(change) | set(steps[tag]):
            if change[key] != steps[tag][key]:
                failures.append(f"{from_tag}..{tag} {key}: change {change[key]}, steps {steps[tag][key]}")
    return failures


def test_steps_add_up_to_each_release_change(engine: Engine, history, tmp_path: Path) -> None:
    repo, _ = history
    run(engine, repo, tmp_path)
    assert telescoping_failures(engine) == []


def test_each_change_is_split_by_kind_of_change(engine: Engine, history, tmp_path: Path) -> None:
    repo, c = history
    run(engine, repo, tmp_path)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                """SELECT co.oid, p.path, x.converted, x.removed_with_code, x.moved_out, x.moved_in, x.added_new,
                          x.added_existing
                   FROM commit_changes x JOIN commits co ON co.id = x.commit_id JOIN paths p ON p.id = x.path_id
                   WHERE x.view = 'own' AND x.identifier = 'GFP_NOFS'"""
            )
        ).all()
    split = {(oid, path): tuple(rest) for oid, path, *rest in rows}
    assert split[(str(c["t1"]), "fs/a/x.c")] == (2, 0, 0, 0, 0, 0)  # converted: f() stays
    assert split[(str(c["m2"]), "fs/b/y.c")] == (0, 0, 2, 0, 0, 0)  # git pairs the rename
    assert split[(str(c["m2"]), "fs/c/y.c")] == (0, 0, 0, 2, 0, 0)
    assert split[(str(c["next"]), "fs/a/x.c")] == (0, 0, 0, 0, 0, 2)  # added to existing f()


def test_links_subjects_and_authors(engine: Engine, session: Session, history, tmp_path: Path) -> None:
    repo, c = history
    run(engine, repo, tmp_path)
    row = session.execute(
        text("SELECT subject, author_name, author_email, links, parents FROM commits WHERE oid = :oid"),
        {"oid": str(c["t1"])},
    ).one()
    assert row[:3] == ("fs/a: convert two allocations to a NOFS scope", "Alice", "alice@example.invalid")
    assert row[3] in (
        ["https://lore.kernel.org/r/convert-1", "https://lore.kernel.org/r/convert-2"],
        '["https://lore.kernel.org/r/convert-1", "https://lore.kernel.org/r/convert-2"]',
    )
    assert row[4] == 1
    authored = session.execute(select(Commit.authored_at).where(Commit.oid == str(c["t1"]))).scalar_one()
    author = pygit2.Repository(str(repo))[c["t1"]].peel(pygit2.Commit).author
    assert authored == datetime.fromtimestamp(author.time, UTC)


def test_changes_carry_the_release_subsystem(engine: Engine, session: Session, history, tmp_path: Path) -> None:
    repo, _ = history
    run(engine, repo, tmp_path)
    subsystems = dict(
        session.execute(
            text(
                """SELECT DISTINCT p.path, u.name FROM commit_changes x JOIN paths p ON p.id = x.path_id
                   JOIN subsystems u ON u.id = x.subsystem_id"""
            )
        ).all()
    )
    assert subsystems == {"fs/a/x.c": "FS A", "fs/b/y.c": "FS B", "fs/c/y.c": "THE REST", "mm/z.c": "THE REST"}


def test_incremental_and_no_commits_runs_equal_one_full_run(
    engine: Engine, session: Session, history, tmp_path: Path
) -> None:
    repo, _ = history
    run(engine, repo, tmp_path)
    full = dump(engine)
    wipe(engine)
    run(engine, repo, tmp_path, until="v1.1")
    first = session.execute(select(Attribution.attributed_at)).scalars().all()
    session.rollback()
    run(engine, repo, tmp_path, commits=False)  # the other releases, without attribution
    assert session.execute(select(Attribution.release_id)).scalars().all().__len__() == 2
    session.rollback()
    again = run(engine, repo, tmp_path)  # attributes what is missing, and only that
    assert again.releases_ingested == [] and again.intervals_attributed == 2
    assert set(first) <= set(session.execute(select(Attribution.attributed_at)).scalars().all())
    assert dump(engine) == full
    session.rollback()
    assert run(engine, repo, tmp_path).intervals_attributed == 0


def test_no_blob_is_read_twice(engine: Engine, session: Session, history, tmp_path: Path) -> None:
    repo, c = history
    run(engine, repo, tmp_path)
    # t1's x.c is in no release, yet it is stored with its counts; s1's is stored as well
    t1_blob = str(pygit2.Repository(str(repo))[c["t1"]].peel(pygit2.Commit).tree["fs/a/x.c"].id)
    assert session.execute(select(Blob.id).where(Blob.oid == t1_blob)).scalar_one_or_none() is not None
    session.rollback()
    session.execute(delete(Attribution))  # forget the attribution, not the blobs
    session.commit()
    stats = run(engine, repo, tmp_path)
    assert stats.intervals_attributed == 4 and stats.blobs_scanned == 0


def test_clean_intermediate_blobs_are_remembered(engine: Engine, session: Session, tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "repo")
    repo.commit({"fs/a.c": source(1), "fs/b.c": b"int b;\n"}, "v1.0")
    repo.tag("v1.0")
    repo.change({"fs/b.c": b"int b2;\n"}, "touch b")  # a blob that holds nothing, in no release
    repo.change({"fs/b.c": b"int b3;\n", "fs/a.c": source(2)}, "v1.1")
    repo.tag("v1.1")
    run(engine, repo.path, tmp_path)
    clean = set(session.execute(select(CleanBlob.oid)).scalars())
    touched = str(repo.repo.revparse_single("HEAD~1").peel(pygit2.Commit).tree["fs/b.c"].id)
    assert touched in clean


def synthetic_history(path: Path, *options: str) -> None:
    generator = Path(__file__).parents[2] / "bench" / "synthetic_history.py"
    subprocess.run([sys.executable, str(generator), str(path), *options], check=True, capture_output=True)


def test_synthetic_history_from_the_benchmark_adds_up(engine: Engine, tmp_path: Path) -> None:
    synthetic_history(tmp_path / "synth", "--commits", "600", "--releases", "4", "--prehistory", "300")
    stats = run(engine, tmp_path / "synth", tmp_path)
    walked = subprocess.run(
        ["git", "-C", str(tmp_path / "synth"), "rev-list", "--count", "v1.0..v1.4"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert stats.commits_walked == int(walked)
    assert stats.commits_with_changes > 300
    assert telescoping_failures(engine) == []


def test_the_kernel_scale_benchs_denser_shape_attributes_its_function_moves_and_fixes(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    """The A/B bench's history (bench/kernel_scale.py --density/--function-moves/--fixes): its moved functions
    are split as moves, its Fixes: trailers name commits of the history, and the steps still add up."""
    generator = Path(__file__).parents[2] / "bench" / "kernel_scale.py"
    options = ["--synthetic-root", "--releases", "3", "--commits", "400", "--prehistory", "400", "--last-release"]
    options += ["400", "--history-only", "--density", "2.5", "--function-moves", "0.5", "--fixes", "0.2"]
    subprocess.run(
        [sys.executable, str(generator), *options, "--keep", str(tmp_path / "k")], check=True, capture_output=True
    )
    stats = run(engine, tmp_path / "k" / "mainline.git", tmp_path)
    assert stats.fixes_stored > 0 and telescoping_failures(engine) == []
    moved = session.execute(
        text(
            """SELECT sum(x.moved_out), sum(x.moved_in), sum(x.converted) FROM commit_changes x
               JOIN commits c ON c.id = x.commit_id WHERE c.subject LIKE '%helpers here' AND x.view = 'own'"""
        )
    ).one()
    assert moved[0] > 0 and moved[0] == moved[1] and moved[2] == 0
    resolved = session.execute(text("SELECT count(*) FROM commit_fixes WHERE fixed_oid IS NOT NULL")).scalar()
    assert resolved == stats.fixes_stored


def test_merge_bases_from_the_interval_attribute_as_git_merge_base_does(
    engine: Engine, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Topic branches forked before the previous release, merged with files both sides changed (clean
    textual merges and resolutions): the bases the interval settles itself give what git's give."""
    synthetic_history(tmp_path / "synth", "--commits", "600", "--releases", "3", "--prehistory", "400")
    run(engine, tmp_path / "synth", tmp_path)
    settled = dump(engine)
    resolved = [k for k, v in changes(session, "own").items() if k[1].startswith("Merge") and v]
    assert resolved  # some merges' resolutions moved a count: their bases mattered
    wipe(engine)
    monkeypatch.setattr(Reach, "settle", lambda self, first, other: (False, None))
    run(engine, tmp_path / "synth", tmp_path)
    assert dump(engine) == settled


def test_a_moved_tag_redoes_its_interval_and_those_after_it(engine: Engine, history, tmp_path: Path) -> None:
    repo, c = history
    run(engine, repo, tmp_path)
    builder = pygit2.Repository(str(repo))
    tree = builder[c["merge"]].peel(pygit2.Commit).tree
    signature = pygit2.Signature("Dave", "dave@example.invalid", 1_800_000_000, 0)
    respin = builder.create_commit(None, signature, signature, "Linux v1.1, respun", tree.id, [c["merge"]])
    builder.references.delete("refs/tags/v1.1")
    builder.references.create("refs/tags/v1.1", respin)
    stats = run(engine, repo, tmp_path)
    # v1.1's own interval, and those that start at it: v1.1.1's (its series) and v1.2's (mainline)
    assert stats.releases_moved == ["v1.1"] and stats.intervals_attributed == 3
    moved = dump(engine)
    assert [row[:3] for row in moved["attributions"] if row[0] == "v1.2"] == [("v1.2", "v1.1", str(respin))]
    wipe(engine)
    run(engine, repo, tmp_path)
    fresh = dump(engine)
    # the old respin-less commit stays in the shared commit table; everything per release is identical
    assert {k: v for k, v in moved.items() if k != "commits"} == {k: v for k, v in fresh.items() if k != "commits"}
    assert telescoping_failures(engine) == []


def build_for_a_shallow_clone(path: Path) -> dict[str, pygit2.Oid]:
    """v1.0 -> four mainline commits -> a merge of a topic forked at v1.0 (v1.1). A clone of depth 3
    holds v1.0 through the topic (3 deep) but cuts mainline at m3: its first-parent line misses v1.0."""
    repo = RepoBuilder(path)
    base = {"MAINTAINERS": MAINTAINERS, "fs/a/x.c": source(4), "fs/b/y.c": source(1), "mm/z.c": source(0)}
    c = {"root": repo.commit(base, "Linux v1.0")}
    repo.tag("v1.0")
    c["topic"] = repo.commit_on([c["root"]], {**base, "fs/b/y.c": source(2)}, "fs/b: add one", "Bob")
    c["m1"] = repo.change({"fs/a/x.c": source(3, 1)}, "fs/a: convert one")
    c["m2"] = repo.change({"fs/a/x.c": source(2, 2)}, "fs/a: convert another")
    c["m3"] = repo.change({"mm/z.c": source(0, 0, 1)}, "mm: noio")
    c["m4"] = repo.change({"fs/a/x.c": source(1, 3)}, "fs/a: convert a third")
    c["merge"] = repo.merge([c["m4"], c["topic"]], {**repo.files, "fs/b/y.c": source(2)}, "Merge branch 'fs-b'")
    repo.tag("v1.1")
    return c


def test_a_shallow_clone_attributes_from_its_boundary(
    engine: Engine, session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = build_for_a_shallow_clone(tmp_path / "origin")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "3", f"file://{tmp_path / 'origin'}", str(clone)], check=True)
    cut = pygit2.Repository(str(clone))
    assert cut.is_shallow and str(c["m2"]) not in cut and str(c["root"]) in cut
    (clone / ".git" / "refs" / "tags" / "v0.9").write_text(f"{c['m2']}\n")  # a release beyond the boundary
    with caplog.at_level(logging.INFO, logger="ingest.run"):
        stats = run(engine, clone, tmp_path)
    assert [(s.name, s.reason) for s in stats.skipped] == [
        ("v0.9", "its commit lies beyond the shallow clone's boundary (not fetched)")
    ]
    assert stats.releases_ingested == ["v1.0", "v1.1"] and stats.shallow_boundaries == 1
    assert "starting at the shallow boundary" in stats.summary() and "v0.9 (its commit lies beyond" in stats.summary()
    assert "v1.1: commits since v1.0" in caplog.text
    assert f"attribution starts at the shallow boundary {c['m3']}" in caplog.text
    row = session.execute(select(Attribution.from_tag, Attribution.base_commit, Attribution.shallow_boundary)).all()
    assert sorted(row, key=str) == sorted([(None, None, False), ("v1.0", str(c["m3"]), True)], key=str)
    # m3 is credited with step 0, v1.0 -> m3 (m1, m2 and itself), never with adding the whole tree
    step = {k[2:]: v for k, v in changes(session, "step").items() if k[0] == "v1.1" and k[1] == "mm: noio"}
    assert step == {
        ("fs/a/x.c", "GFP_NOFS"): -2,
        ("fs/a/x.c", "memalloc_nofs_save"): 2,
        ("fs/a/x.c", "memalloc_nofs_restore"): 2,
        ("mm/z.c", "GFP_NOIO"): 1,
    }
    own = {k[1] for k in changes(session, "own") if k[0] == "v1.1"}
    assert own == {"fs/b: add one", "fs/a: convert a third"}  # the boundary's own change is unknown
    assert telescoping_failures(engine) == []
    counts = dump(engine)["path_counts"]
    wipe(engine)
    run(engine, tmp_path / "origin", tmp_path)
    assert dump(engine)["path_counts"] == counts  # the releases count the same as in the full history


def test_an_interval_from_a_release_the_clone_lacks_is_left_unattributed(engine: Engine, tmp_path: Path) -> None:
    """v1.0 was stored from a complete clone; a clone of depth 2 has v1.1 but not v1.0's commit."""
    build_for_a_shallow_clone(tmp_path / "origin")
    run(engine, tmp_path / "origin", tmp_path, commits=False)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{tmp_path / 'origin'}", str(clone)], check=True)
    stats = run(engine, clone, tmp_path)
    assert stats.intervals_attributed == 1 and stats.intervals_skipped == ["v1.1"]  # v1.0's own (empty) one
    assert "not attributed (the previous release's commit is missing): v1.1" in stats.summary()
    assert run(engine, tmp_path / "origin", tmp_path).intervals_attributed == 1  # a complete clone does it
    assert telescoping_failures(engine) == []


def test_a_renamed_file_that_gains_its_first_gfp_nofs_added_it_to_existing_code(engine: Engine, tmp_path: Path) -> None:
    """fs/cifs -> fs/smb/client in v6.4, as nofs sees it: the old file held no GFP_NOFS, so only git's pairing
    tells that the function that gained one existed before."""
    repo = RepoBuilder(tmp_path / "repo")
    body = "".join(f"int cifs_f{i}(void)\n{{\n\treturn kmalloc({i}, GFP_KERNEL) != NULL;\n}}\n" for i in range(30))
    repo.commit({"MAINTAINERS": MAINTAINERS, "fs/cifs/misc.c": body.encode()}, "Linux v1.0")
    repo.tag("v1.0")
    moved = body.replace("kmalloc(3, GFP_KERNEL)", "kmalloc(3, GFP_NOFS)")
    repo.change({"fs/cifs/misc.c": None, "fs/smb/client/misc.c": moved.encode()}, "smb: move client to fs/smb")
    repo.tag("v1.1")
    run(engine, tmp_path / "repo", tmp_path)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                """SELECT p.path, x.code, x.added_new, x.added_existing FROM commit_changes x
                   JOIN paths p ON p.id = x.path_id WHERE x.view = 'own' AND x.identifier = 'GFP_NOFS'"""
            )
        ).all()
    assert row == [("fs/smb/client/misc.c", 1, 0, 1)]


def test_a_blob_shared_by_a_changed_file_and_an_unchanged_one_splits_without_its_functions_missing(
    engine: Engine, tmp_path: Path
) -> None:
    """Found at kernel scale (bench/kernel_scale.py crashed in the split): a.c goes X -> Y keeping its count
    (GFP_NOFS moves from f() to g()) in a commit that also adds d.c, while other commits add b.c = X and
    c.c = Y, so X and Y are read for those; the split of a.c's commit then asked Y whether it defines f()
    without Y's functions read."""
    x = b"int f(void)\n{\n\treturn kmalloc(1, GFP_NOFS);\n}\n\nint g(void)\n{\n\treturn 0;\n}\n"
    y = b"int f(void)\n{\n\treturn 0;\n}\n\nint g(void)\n{\n\treturn kmalloc(1, GFP_NOFS);\n}\n"
    repo = RepoBuilder(tmp_path / "repo")
    repo.commit({"fs/a.c": x})
    repo.tag("v1.0")
    repo.change({"fs/a.c": y, "fs/d.c": b"void *d = GFP_NOFS;\n"}, "a: move the allocation from f() to g(); d")
    repo.change({"fs/b.c": x}, "b: a copy of the old a.c")
    repo.change({"fs/c.c": y}, "c: a copy of the new a.c")
    repo.tag("v1.1")
    run(engine, tmp_path / "repo", tmp_path)
    assert telescoping_failures(engine) == []
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.path, c.added_new, c.added_existing, c.converted FROM commit_changes c "
                "JOIN paths p ON p.id = c.path_id WHERE c.view = 'own' AND c.identifier = 'GFP_NOFS'"
            )
        ).all()
    assert sorted(tuple(r) for r in rows) == [("fs/b.c", 1, 0, 0), ("fs/c.c", 1, 0, 0), ("fs/d.c", 1, 0, 0)]
