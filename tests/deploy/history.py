"""The repository the deploy test's worker follows: the kernel-like history, then enough releases that an
ingest lasts long enough to be killed in the middle."""

from pathlib import Path

from tests.gitrepo import RepoBuilder
from tests.kernel_like import btrfs_inode, build_history

FILES_A_RELEASE = 60
# A GFP_NOFS inside a scope of its own function (line 4): what the worker's reading of scopes finds.
SCOPED_PATH, SCOPED_LINE = "fs/wide/scoped.c", 4
SCOPED = b"""int wide_scoped(void **p)
{
\tunsigned int flags = memalloc_nofs_save();
\tp[0] = kmalloc(8, GFP_NOFS);
\tmemalloc_nofs_restore(flags);
\treturn 0;
}
"""


def later_release_files(number: int) -> dict[str, bytes]:
    """Release v2.NUMBER: every file of a wide fs/ directory changes (each a new blob to scan)."""
    return {
        f"fs/wide/f{i:03}.c": f"/* v2.{number} */\n".encode() + btrfs_inode((number + i) % 7, (number + i) % 3 == 0)
        for i in range(FILES_A_RELEASE)
    }


def build_deploy_history(path: Path, later_releases: int) -> RepoBuilder:
    """v1.9 … v2.0 of the kernel-like history, then v2.1 … v2.LATER_RELEASES."""
    repo = build_history(path)
    for number in range(1, later_releases + 1):
        add_release(repo, number)
    return repo


def add_release(repo: RepoBuilder, number: int) -> str:
    tag = f"v2.{number}"
    repo.release(tag, {**later_release_files(number), SCOPED_PATH: SCOPED})
    return tag
