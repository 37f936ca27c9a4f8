from pathlib import Path

import pygit2

from ingest.history import fixes_trailers, link_trailers, resolve_commit, subject, trailers
from tests.gitrepo import RepoBuilder


def test_link_trailers_come_from_the_last_paragraph_in_order() -> None:
    message = (
        "xfs: use memalloc_nofs_save\n\nSee Link: https://not-a-trailer.example in the body.\n\n"
        "Link: https://lore.kernel.org/r/1\nSigned-off-by: A <a@example.invalid>\nlink: https://lore.kernel.org/r/2\n"
    )
    assert link_trailers(message) == ["https://lore.kernel.org/r/1", "https://lore.kernel.org/r/2"]


def test_a_subject_alone_has_no_trailers() -> None:
    assert link_trailers("Link: https://example.invalid/subject-only\n") == []
    assert link_trailers("") == []


def test_subject_is_the_first_paragraph_on_one_line() -> None:
    assert subject("Merge tag 'for-6.8'\n of git://example\n\nbody\n") == "Merge tag 'for-6.8' of git://example"
    assert subject("\n\n") == ""


def test_fixes_trailers_are_the_ids_the_last_paragraph_names() -> None:
    message = (
        "fs/a: restore GFP_NOFS\n\nFixes: 0123456789ab in the body is not a trailer.\n\n"
        'Fixes: 0123456789AB ("fs/a: convert to a scope")\nfixes: commit 89abcdef0123 ("another")\n'
        'Fixes: 0123456789ab ("the same one again")\nFixes: 123456 ("six digits: too short")\n'
        "Fixes: https://bugzilla.example.invalid/1\nFixes: 0123456789abz\nSigned-off-by: A <a@example.invalid>\n"
    )
    assert fixes_trailers(message) == ["0123456789ab", "89abcdef0123"]
    assert fixes_trailers("Fixes: 0123456789ab\n") == []  # a subject alone has no trailers
    sha256 = "ab" * 32
    assert fixes_trailers(f"s\n\nFixes: {sha256}\n") == [sha256]


def test_trailers_keep_keys_as_written_and_values_stripped() -> None:
    assert trailers("s\n\nbody\n\n Fixes:  abc  \nAcked-by: B\nnot a trailer\n") == [
        ("Fixes", "abc"),
        ("Acked-by", "B"),
    ]


def test_a_named_commit_resolves_by_its_unique_prefix_only(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "repo")
    first = str(repo.commit({"a.c": b"int a;\n"}, "first"))
    tree = str(repo.repo[first].peel(pygit2.Commit).tree_id)
    assert resolve_commit(repo.repo, first[:7]) == resolve_commit(repo.repo, first) == first
    assert resolve_commit(repo.repo, tree[:12]) is None  # a tree, not a commit
    assert resolve_commit(repo.repo, "0" * 12 if not first.startswith("0" * 12) else "f" * 12) is None
    assert resolve_commit(repo.repo, "0123456789abz") is None  # not an id at all
