"""An out-of-tree filesystem's history, shaped like bcachefs-tools: releases X.Y.0, X.Y.1, … on one branch, one
two-number tag among them (v1.6), a GitHub remote. Code moves between directories in one release and is
converted to a NOFS scope in the next, as bcachefs-tools' compress.c did at v1.38.4 and v1.39.0."""

from pathlib import Path

from tests.gitrepo import RepoBuilder

REMOTE = "https://github.com/koverstreet/bcachefs-tools.git"
RELEASES = ("v1.4.0", "v1.4.1", "v1.5.0", "v1.6", "v1.6.1", "v1.7.0", "v1.7.1", "v1.7.2", "v1.8.0")
OLD_PATH, NEW_PATH = "libbcachefs/compress.c", "fs/data/compress.c"
MOVED_AT, CONVERTED_AT = "v1.7.1", "v1.7.2"  # the move, then the conversion
MOVED_USES = 6
MOVE_SUBJECT = "Move the filesystem code to fs/"
CONVERSION_SUBJECT = "bcachefs: compress: use memalloc_nofs_save() around the bounce allocations"


def compress_c(scoped: bool) -> bytes:
    """The bounce allocations: MOVED_USES GFP_NOFS, or one NOFS scope around GFP_KERNEL ones."""
    flag = "GFP_KERNEL" if scoped else "GFP_NOFS"
    calls = "".join(f"\tb[{i}] = kmalloc({64 << i}, {flag});\n" for i in range(MOVED_USES))
    if scoped:
        calls = f"\tunsigned int flags = memalloc_nofs_save();\n{calls}\tmemalloc_nofs_restore(flags);\n"
    return f"int __bounce_alloc(void **b)\n{{\n{calls}\treturn 0;\n}}\n".encode()


def build_out_of_tree(path: Path) -> RepoBuilder:
    """Every release a commit on one branch; each release adds one GFP_NOFS in its own file, so every point of
    the trend differs from the one before it."""
    repo = RepoBuilder(path)
    repo.repo.remotes.create("origin", REMOTE)
    repo.commit({OLD_PATH: compress_c(False), "libbcachefs/btree_io.c": b"int x = GFP_NOFS;\n"}, "Initial import")
    for number, tag in enumerate(RELEASES):
        changes: dict[str, bytes | None] = {f"libbcachefs/r{number}.c": b"static int y = GFP_NOFS;\n"}
        if tag == MOVED_AT:
            repo.change({OLD_PATH: None, NEW_PATH: compress_c(False)}, MOVE_SUBJECT)
        if tag == CONVERTED_AT:
            repo.change({NEW_PATH: compress_c(True)}, CONVERSION_SUBJECT)
        repo.release(tag, changes)
    return repo
