"""A small history whose commits carry Fixes: trailers, built with pygit2: a conversion fixed three times
(in its own interval, by a commit that moved no count, and a release later), one never fixed, a trailer
naming another tree's commit and one that is not in the last paragraph."""

from pathlib import Path

import pygit2

from tests.kernel_like import kernel_repository

MAINTAINERS = b"FS A\nS:\tMaintained\nF:\tfs/a/\n\nFS B\nS:\tMaintained\nF:\tfs/b/\n\n"
OTHER_TREE = "0123456789ab"  # named by a trailer, in no repository here
SIGNED = "Signed-off-by: Dev <dev@example.invalid>"


def source(nofs: int, scoped: int = 0) -> bytes:
    lines = [f"\tp{i} = kmalloc({i}, GFP_NOFS);" for i in range(nofs)]
    lines += [f"\tf{i} = memalloc_nofs_save();\n\tmemalloc_nofs_restore(f{i});" for i in range(scoped)]
    return ("int f(void)\n{\n" + "\n".join(lines) + "\n\treturn 0;\n}\n").encode()


def build_fixes_history(path: Path) -> dict[str, str]:
    """v1.0 -> v1.1 (two conversions, a fix of one of them, a documentation fix) -> v1.2 (a later fix).
    Commit ids by name."""
    repo = kernel_repository(path)
    c: dict[str, pygit2.Oid] = {}
    base = {"MAINTAINERS": MAINTAINERS, "README": b"nofs\n", "fs/a/x.c": source(3), "fs/b/y.c": source(2)}
    c["root"] = repo.commit(base, "Linux v1.0")
    repo.tag("v1.0")
    c["convert_a"] = repo.change({"fs/a/x.c": source(1, 1)}, f"fs/a: convert to a NOFS scope\n\nWhy.\n\n{SIGNED}\n")
    a = str(c["convert_a"])
    c["fix_a"] = repo.change(
        {"fs/a/x.c": source(2, 1)},
        f'fs/a: keep GFP_NOFS where no scope is held\n\nWhy.\n\nFixes: {a[:12]} ("fs/a: convert to a NOFS scope")\n'
        f"Link: https://lore.kernel.org/r/fix-a\n{SIGNED}\n",
    )
    c["convert_b"] = repo.change({"fs/b/y.c": source(0, 1)}, f"fs/b: convert to a NOFS scope\n\n{SIGNED}\n")
    c["doc_fix"] = repo.change(
        {"README": b"nofs, fixed\n"},
        f'README: describe the scope\n\nFixes: {a[:7]} ("fs/a: convert")\n'
        f'Fixes: {OTHER_TREE} ("elsewhere")\n{SIGNED}\n',
    )
    repo.release("v1.1", {"README": b"nofs 1.1\n"})
    b = str(c["convert_b"])
    c["not_a_trailer"] = repo.change(
        {"README": b"nofs 1.1, noted\n"}, f"fs/b: a note\n\nFixes: {b[:12]} is in the body.\n\n{SIGNED}\n"
    )
    c["late_fix"] = repo.change(
        {"fs/a/x.c": source(2, 2)}, f'fs/a: close the scope on errors\n\nFixes: {a} ("fs/a: convert")\n{SIGNED}\n'
    )
    repo.release("v1.2", {"README": b"nofs 1.2\n"})
    return {name: str(oid) for name, oid in c.items()}
