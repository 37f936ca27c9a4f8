"""git's rename detection as the change split asks for it: among the given paths, at the stated similarity."""

from pathlib import Path

from ingest.renames import parse_renames, renames
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
