"""git's rename detection as the change split asks for it: among the given paths, at the stated similarity."""

from pathlib import Path

import pytest

import ingest.renames as renames_module
from ingest.renames import RenameQuestion, parse_renames, parse_steps, renames, renames_of
from tests.gitrepo import RepoBuilder

BODY = b"".join(b"int f%d(void)\n{\n\treturn kmalloc(%d, GFP_NOFS) != NULL;\n}\n" % (i, i) for i in range(20))


def test_a_moved_and_edited_file_is_paired_and_an_unrelated_one_is_not(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "repo")
    repo.commit({"fs/b/y.c": BODY, "fs/b/z.c": b"int z;\n"})
    moved = repo.change(
        {"fs/b/y.c": None, "fs/c/y.c": BODY.replace(b"f3(", b"g3("), "fs/b/z.c": None, "fs/c/w.c": b"x"}
    )
    paths = ["fs/b/y.c", "fs/b/z.c", "fs/c/w.c", "fs/c/y.c"]
    assert renames(str(tmp_path / "repo"), f"{moved}^1", str(moved), paths) == {"fs/c/y.c": "fs/b/y.c"}
    # only among the paths asked about
    assert renames(str(tmp_path / "repo"), f"{moved}^1", str(moved), ["fs/b/y.c", "fs/c/w.c"]) == {}
    assert renames(str(tmp_path / "repo"), "", str(moved), paths) == {}  # a root commit renames nothing


def test_parse_reads_only_renames() -> None:
    output = b":100644 100644 a b R087\0old/a.c\0new/a.c\0:100644 000000 c d D\0gone.c\0"
    assert parse_renames(output) == {"new/a.c": "old/a.c"}


def _moves(tmp_path: Path) -> list[RenameQuestion]:
    """Three steps: a move of y.c, a step with nothing to pair, a move of w.c back where y.c was."""
    repo = RepoBuilder(tmp_path / "repo")
    first = repo.commit({"fs/b/y.c": BODY, "fs/b/z.c": b"int z;\n"})
    moved = repo.change({"fs/b/y.c": None, "fs/c/y.c": BODY.replace(b"f3(", b"g3(")})
    added = repo.change({"fs/b/z.c": None, "fs/c/w.c": b"x"})
    back = repo.change({"fs/c/y.c": None, "fs/b/y.c": BODY, "fs/b/z.c": b"int z;\n"})
    return [
        RenameQuestion(str(first), str(moved), ["fs/b/y.c", "fs/c/y.c"]),
        RenameQuestion(str(moved), str(added), ["fs/b/z.c", "fs/c/w.c"]),
        RenameQuestion("", str(first), ["fs/b/y.c", "fs/b/z.c"]),  # a root commit
        RenameQuestion(str(added), str(back), ["fs/b/y.c", "fs/b/z.c", "fs/c/y.c"]),
    ]


def test_questions_asked_together_get_the_answers_each_gets_alone(tmp_path: Path) -> None:
    questions = _moves(tmp_path)
    alone = [renames(str(tmp_path / "repo"), q.old, q.new, q.paths) for q in questions]
    assert alone == [{"fs/c/y.c": "fs/b/y.c"}, {}, {}, {"fs/b/y.c": "fs/c/y.c"}]
    assert renames_of(str(tmp_path / "repo"), questions) == alone


def test_questions_beyond_the_pathspec_limit_are_split_into_batches_or_asked_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = _moves(tmp_path)
    alone = [renames(str(tmp_path / "repo"), q.old, q.new, q.paths) for q in questions]
    monkeypatch.setattr(renames_module, "PATHSPEC_MAX_BYTES", 20)  # two paths fit, three do not
    assert [len(b) for b in renames_module._batches(questions[:2])] == [1, 1]
    assert renames_of(str(tmp_path / "repo"), questions) == alone


def test_steps_are_read_in_order_with_their_headers() -> None:
    output = b"aaaa\0:100644 100644 a b R090\0x.c\0y.c\0bbbb\0cccc\0:100644 000000 c d D\0gone.c\0"
    assert parse_steps(output) == [("aaaa", {"y.c": "x.c"}), ("bbbb", {}), ("cccc", {})]
