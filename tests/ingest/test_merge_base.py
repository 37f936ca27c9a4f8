"""Merge bases against two oracles, libgit2's and git's own, on small real histories, with and without a
commit-graph; and which pairs the interval settles itself, which it leaves to git."""

import logging
import subprocess
from pathlib import Path

import pygit2
import pytest

from ingest.merge_base import MergeBases, Reach
from ingest.repo import ensure_commit_graph
from tests.gitrepo import RepoBuilder


def _git_merge_base(repo: Path, a: str, b: str) -> str | None:
    result = subprocess.run(["git", "-C", str(repo), "merge-base", a, b], capture_output=True, text=True)
    return result.stdout.strip() or None


def _reach(repo: pygit2.Repository, older: str | None, newer: str) -> Reach:
    walker = repo.walk(newer, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    if older is not None:
        walker.hide(older)
    return Reach({str(c.id): [str(p) for p in c.parent_ids] for c in walker}, older)


def build(path: Path) -> tuple[RepoBuilder, dict[str, str]]:
    """v1.0 with history behind it, then v1.1 with: a pull of a topic forked before v1.0, a pull of one
    forked after it, a criss-cross pair of merges, a pull of a tree that merged two topics forked at
    different points, and a merge of an unrelated history."""
    b = RepoBuilder(path)
    c: dict[str, pygit2.Oid] = {}
    for n in range(6):
        c[f"old{n}"] = b.change({"a.c": f"int a{n};\n".encode()})
    c["v1.0"] = b.change({"b.c": b"int b;\n"}, "Linux 1.0")
    b.tag("v1.0")
    c["topic"] = b.commit_on([c["old2"]], {**b.files, "t.c": b"int t;\n"}, "topic forked before v1.0")
    c["m1"] = b.change({"b.c": b"int b1;\n"})
    c["pull_old"] = b.merge([c["m1"], c["topic"]], {**b.files, "t.c": b"int t;\n"}, "Merge old topic")
    c["fresh"] = b.commit_on([c["m1"]], {**b.files, "f.c": b"int f;\n"}, "topic forked after v1.0")
    c["m2"] = b.change({"b.c": b"int b2;\n"})
    c["pull_new"] = b.merge([c["m2"], c["fresh"]], {**b.files, "f.c": b"int f;\n"}, "Merge new topic")
    # criss-cross: x1 and y1 each merge the other's parent; x2 and y2 then have two best bases
    c["x0"] = b.commit_on([c["pull_new"]], {**b.files, "x.c": b"int x;\n"}, "x0")
    c["y0"] = b.commit_on([c["pull_new"]], {**b.files, "y.c": b"int y;\n"}, "y0")
    c["x1"] = b.commit_on([c["x0"], c["y0"]], {**b.files, "x.c": b"int x;\n", "y.c": b"int y;\n"}, "x1")
    c["y1"] = b.commit_on([c["y0"], c["x0"]], {**b.files, "x.c": b"int x;\n", "y.c": b"int y;\n"}, "y1")
    both = {**b.files, "x.c": b"int x2;\n", "y.c": b"int y2;\n"}
    c["x2"] = b.commit_on([c["x1"]], {**both, "y.c": b"int y;\n"}, "x2")
    c["y2"] = b.commit_on([c["y1"]], {**both, "x.c": b"int x;\n"}, "y2")
    c["cross"] = b.merge([c["x2"], c["y2"]], both, "Merge criss-cross")
    # a maintainer tree of two topics forked at different points, both before v1.0
    c["s1"] = b.commit_on([c["old1"]], {**b.files, "s1.c": b"int s1;\n"}, "s1")
    c["s2"] = b.commit_on([c["old4"]], {**b.files, "s2.c": b"int s2;\n"}, "s2")
    c["tree"] = b.commit_on([c["s2"], c["s1"]], {**b.files, "s1.c": b"int s1;\n", "s2.c": b"int s2;\n"}, "tree")
    c["pull_tree"] = b.merge([c["cross"], c["tree"]], {**b.files, "s1.c": b"", "s2.c": b""}, "Merge tree")
    c["alien"] = b.commit_on([], {"z.c": b"int z;\n"}, "unrelated root")
    c["pull_alien"] = b.merge([c["pull_tree"], c["alien"]], {**b.files, "z.c": b"int z;\n"}, "Merge unrelated")
    b.tag("v1.1")
    return b, {name: str(oid) for name, oid in c.items()}


MERGES = ["pull_old", "pull_new", "x1", "y1", "cross", "tree", "pull_tree", "pull_alien"]


@pytest.mark.parametrize("commit_graph", [False, True])
def test_merge_bases_agree_with_libgit2_and_git(tmp_path: Path, commit_graph: bool) -> None:
    b, c = build(tmp_path / "repo")
    repo_dir = b.repo.path.rstrip("/")
    info = Path(repo_dir) / "objects" / "info"
    if commit_graph:
        ensure_commit_graph(repo_dir)
    assert (info / "commit-graph").exists() == commit_graph
    bases = MergeBases(repo_dir, jobs=2)
    pairs = [(str(b.repo[c[m]].parent_ids[0]), str(b.repo[c[m]].parent_ids[1])) for m in MERGES]
    found = bases.find(pairs, _reach(b.repo, c["v1.0"], c["pull_alien"]))
    expected = {}
    for pair in pairs:
        libgit2 = b.repo.merge_base(*pair)
        expected[pair] = str(libgit2) if libgit2 is not None else None
        assert _git_merge_base(tmp_path / "repo", *pair) == expected[pair]
    assert found == expected
    assert found[pairs[0]] == c["old2"] and found[pairs[-1]] is None
    assert bases.asked_git == 3  # the criss-cross merge, the tree's own merge and its pull
    assert bases.find(pairs, _reach(b.repo, c["v1.0"], c["pull_alien"])) == expected and bases.asked_git == 3


def test_the_interval_settles_only_unique_bases(tmp_path: Path) -> None:
    b, c = build(tmp_path / "repo")
    reach = _reach(b.repo, c["v1.0"], c["pull_alien"])
    settled = {m: reach.settle(*(str(p) for p in b.repo[c[m]].parent_ids)) for m in MERGES}
    assert settled["pull_old"] == (True, c["old2"])  # forked before v1.0: found at the interval's edge
    assert settled["pull_new"] == (True, c["m1"])  # forked inside the interval
    assert settled["x1"] == (True, c["pull_new"])
    assert settled["pull_alien"] == (True, None)  # the unrelated root reaches nothing outside: no base
    assert settled["cross"] == (False, None)  # two best bases, x0 and y0: git picks
    assert settled["tree"] == (False, None)  # old1 and old4 lie below the edge, which neither side reaches
    assert settled["pull_tree"] == (False, None)  # s1 and s2 on one side
    whole = _reach(b.repo, None, c["pull_alien"])  # no edge: everything is inside
    assert whole.settle(*(str(p) for p in b.repo[c["pull_alien"]].parent_ids)) == (True, None)
    assert whole.settle(*(str(p) for p in b.repo[c["pull_old"]].parent_ids)) == (True, c["old2"])


def test_commit_graph_is_written_once_and_its_absence_tolerated(tmp_path: Path, caplog) -> None:
    b, c = build(tmp_path / "repo")
    repo_dir = b.repo.path.rstrip("/")
    info = Path(repo_dir) / "objects" / "info"
    (info / "commit-graph.lock").write_bytes(b"")  # another writer holds the lock: git cannot write
    with caplog.at_level(logging.INFO, logger="ingest.repo"):
        ensure_commit_graph(repo_dir)
    assert not (info / "commit-graph").exists()
    assert "no commit-graph written" in caplog.text
    (info / "commit-graph.lock").unlink()
    ensure_commit_graph(repo_dir)
    written = (info / "commit-graph").stat().st_mtime_ns
    ensure_commit_graph(repo_dir)
    assert (info / "commit-graph").stat().st_mtime_ns == written
    pair = tuple(str(p) for p in b.repo[c["cross"]].parent_ids)
    assert MergeBases(repo_dir).find([pair], _reach(b.repo, c["v1.0"], c["cross"]))[pair] == _git_merge_base(
        tmp_path / "repo", *pair
    )
