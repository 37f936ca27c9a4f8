"""The kernel-like history with a v2.1 whose GFP_NOFS/GFP_NOIO sit inside scopes, and the findings `nofs scopes`
would store for it, written as its rows (the reading itself is the ingest's, not on the read side's branch).

v2.1 is read (a use redundant in its own function's scope, one through its caller's opener, a GFP_NOIO in an
unpaired NOIO scope, an opener and a closer); v2.0 is read and holds only the unpaired save; older releases are
not read. v2.1's MAINTAINERS gains an XFS section."""

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Path as PathRow
from app.models import Release, ReleaseFile, ScopeAnalysis, ScopeFinding
from app.scope_rules import RULE_VERSION
from ingest import store
from tests.gitrepo import RepoBuilder
from tests.kernel_like import MAINTAINERS, build_history

BTRFS = "fs/btrfs/inode.c"
XFS = "fs/xfs/xfs_trans.c"
RAID1 = "drivers/md/raid1.c"
XFS_SECTION = b"XFS FILESYSTEM\nM:\tCarlos Maiolino <cem@kernel.org>\nS:\tSupported\nF:\tfs/xfs/\n\n"

BTRFS_SCOPED = b"""/* btrfs: GFP_NOFS under a scope */
int btrfs_alloc(void)
{
\tunsigned int flags = memalloc_nofs_save();
\tp0 = kmalloc(8, GFP_NOFS);
\tmemalloc_nofs_restore(flags);
\treturn 0;
}
"""
XFS_TRANS = b"""int xfs_trans_alloc(struct xfs_trans *tp)
{
\ttp->t_pflags = memalloc_nofs_save();
\treturn 0;
}

void xfs_trans_commit(struct xfs_trans *tp)
{
\tmemalloc_nofs_restore(tp->t_pflags);
}

static void *xfs_foo(void)
{
\treturn kmalloc(8, GFP_NOFS);
}

int xfs_bar(struct xfs_trans *tp)
{
\txfs_trans_alloc(tp);
\txfs_foo();
\txfs_trans_commit(tp);
\treturn 0;
}
"""
RAID1_NOIO = b"void r(void)\n{\n\tunsigned f = memalloc_noio_save();\n\tkmalloc(1, GFP_NOIO);\n}\n"

XFS_WHY = "xfs_foo is called at fs/xfs/xfs_trans.c:20 inside the scope opened by xfs_trans_alloc at line 19"


def build_scope_history(path: Path) -> RepoBuilder:
    repo = build_history(path)
    at_index = MAINTAINERS.index(b"THE REST")
    repo.release(
        "v2.1",
        {
            "MAINTAINERS": MAINTAINERS[:at_index] + XFS_SECTION + MAINTAINERS[at_index:],
            BTRFS: BTRFS_SCOPED,
            XFS: XFS_TRANS,
            RAID1: RAID1_NOIO,
        },
    )
    return repo


def _step(function: str, path: str, line: int, text: str, why: str) -> dict[str, Any]:
    return {"function": function, "path": path, "line": line, "text": text, "why": why}


# (release, kind, identifier, path, line, function, how, text, evidence)
FINDINGS: list[tuple[str, str, str, str, int, str | None, str, str, list[dict[str, Any]]]] = [
    (
        "v2.1",
        "redundant",
        "GFP_NOFS",
        BTRFS,
        5,
        "btrfs_alloc",
        "here",
        "\tp0 = kmalloc(8, GFP_NOFS);",
        [
            _step(
                "btrfs_alloc",
                BTRFS,
                4,
                "\tunsigned int flags = memalloc_nofs_save();",
                "a NOFS scope is open in btrfs_alloc from line 4 to its restore at line 6",
            )
        ],
    ),
    (
        "v2.1",
        "redundant",
        "GFP_NOFS",
        XFS,
        14,
        "xfs_foo",
        "callers",
        "\treturn kmalloc(8, GFP_NOFS);",
        [
            _step("xfs_bar", XFS, 20, "\txfs_foo();", XFS_WHY),
            _step(
                "xfs_trans_alloc",
                XFS,
                3,
                "\ttp->t_pflags = memalloc_nofs_save();",
                "xfs_trans_alloc saves into tp->t_pflags and returns with the scope open (an opener)",
            ),
        ],
    ),
    (
        "v2.1",
        "opener",
        "memalloc_nofs_save",
        XFS,
        3,
        "xfs_trans_alloc",
        "here",
        "\ttp->t_pflags = memalloc_nofs_save();",
        [],
    ),
    (
        "v2.1",
        "closer",
        "memalloc_nofs_restore",
        XFS,
        9,
        "xfs_trans_commit",
        "here",
        "\tmemalloc_nofs_restore(tp->t_pflags);",
        [],
    ),
    ("v2.1", "unpaired_save", "memalloc_noio_save", RAID1, 3, "r", "here", "\tunsigned f = memalloc_noio_save();", []),
    (
        "v2.1",
        "redundant",
        "GFP_NOIO",
        RAID1,
        4,
        "r",
        "here",
        "\tkmalloc(1, GFP_NOIO);",
        [_step("r", RAID1, 3, "\tunsigned f = memalloc_noio_save();", "a NOIO scope is open in r from line 3 on")],
    ),
    ("v2.0", "unpaired_save", "memalloc_noio_save", RAID1, 3, "r", "here", "\tunsigned f = memalloc_noio_save();", []),
]
READ = {"v2.0": (2, 9, 4), "v2.1": (4, 12, 6)}  # files read, functions read, uses judged


def store_findings(engine: Engine, rule: int = RULE_VERSION) -> None:
    """The rows `nofs scopes` would store for v2.0 and v2.1, each finding under its file's subsystem then, and the
    change recorded."""
    with Session(engine) as session, session.begin():
        ids = {tag: id for tag, id in session.execute(select(Release.tag, Release.id))}
        for tag, (files, functions, uses) in READ.items():
            session.add(
                ScopeAnalysis(release_id=ids[tag], rule=rule, files_read=files, functions_read=functions, uses=uses)
            )
        for tag, kind, identifier, path, line, function, how, text, evidence in FINDINGS:
            path_id, subsystem_id = session.execute(
                select(PathRow.id, ReleaseFile.subsystem_id)
                .join(ReleaseFile, ReleaseFile.path_id == PathRow.id)
                .where(PathRow.path == path, ReleaseFile.release_id == ids[tag])
            ).one()
            session.add(
                ScopeFinding(
                    release_id=ids[tag],
                    kind=kind,
                    identifier=identifier,
                    path_id=path_id,
                    subsystem_id=subsystem_id,
                    line=line,
                    function=function,
                    how=how,
                    text=text,
                    evidence=evidence,
                )
            )
        store.record_change(session, "scopes of v2.0 and v2.1 read")  # as `nofs scopes` does
