"""A small kernel-like history: subsystems, MAINTAINERS, awkward files, several releases."""

import subprocess
from collections import Counter
from pathlib import Path

import pygit2

from app.registry import NAMES
from ingest.tags import TagSelection
from tests.gitrepo import RepoBuilder, Symlink

MAINTAINERS = b"""\
BTRFS FILE SYSTEM
M:\tDavid Sterba <dsterba@suse.com>
L:\tlinux-btrfs@vger.kernel.org
S:\tMaintained
F:\tfs/btrfs/

EXT4 FILE SYSTEM
M:\tTheodore Ts'o <tytso@mit.edu>
S:\tMaintained
F:\tfs/ext4

MEMORY MANAGEMENT
M:\tAndrew Morton <akpm@linux-foundation.org>
L:\tlinux-mm@kvack.org
S:\tMaintained
F:\tinclude/linux/gfp.h
F:\tinclude/linux/sched/mm.h
F:\tmm/

THE REST
M:\tLinus Torvalds <torvalds@linux-foundation.org>
S:\tBuried alive in reporters
F:\t*
F:\t*/
"""

GFP_H = b"""#ifndef _LINUX_GFP_H
#define _LINUX_GFP_H
#define GFP_NOIO\t(__GFP_RECLAIM)
#define GFP_NOFS\t(__GFP_RECLAIM | __GFP_IO)
/* GFP_NOFS: do not recurse into the filesystem */
#endif
"""

SCHED_MM_H = b"""static inline unsigned int memalloc_nofs_save(void)
{
\treturn memalloc_flags_save(PF_MEMALLOC_NOFS);
}

static inline void memalloc_nofs_restore(unsigned int flags)
{
\tmemalloc_flags_restore(flags);
}
"""


def btrfs_inode(nofs: int, scoped: bool) -> bytes:
    calls = "".join(f"\tp{i} = kmalloc(8, GFP_NOFS);\n" for i in range(nofs))
    scope = "\tflags = memalloc_nofs_save();\n\tmemalloc_nofs_restore(flags);\n" if scoped else ""
    return f"/* btrfs: GFP_NOFS everywhere */\nint btrfs_alloc(void)\n{{\n{calls}{scope}\treturn 0;\n}}\n".encode()


BTRFS_FIRST_MESSAGE = """btrfs: open a NOFS scope instead of GFP_NOFS

Link: https://lore.kernel.org/r/btrfs-scope-1
Link: https://lore.kernel.org/r/btrfs-scope-2
Signed-off-by: Alice Btrfs <alice.btrfs@example.invalid>
"""
BTRFS_MERGE_SUBJECT = "Merge tag 'btrfs-for-1.10' of git://git.kernel.org/pub/scm/linux/kernel/git/btrfs/linux"

# The history holds a stable release (v1.10.1); most tests take every line but the release candidate.
WITH_STABLE = TagSelection(include_stable=True)


def selection_of(asked: dict[str, object]) -> TagSelection:
    """A selection with the stable line unless the test says otherwise."""
    return TagSelection(**{"include_stable": True, **asked})  # type: ignore[arg-type]


# The remote of a clone of torvalds/linux: the dashboard's links go to git.kernel.org and Elixir.
TORVALDS = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git"


def kernel_repository(path: Path) -> RepoBuilder:
    """A repository cloned from torvalds/linux, as far as its links tell."""
    repo = RepoBuilder(path)
    repo.repo.remotes.create("origin", TORVALDS)
    return repo


def first_release_files() -> dict[str, bytes]:
    return {
        "MAINTAINERS": MAINTAINERS,
        "Makefile": b"# GFP_NOFS in a Makefile is not counted\n",
        "Documentation/gfp.txt": b"GFP_NOFS GFP_NOIO\n",
        "include/linux/gfp.h": GFP_H,
        "include/linux/sched/mm.h": SCHED_MM_H,
        "fs/btrfs/inode.c": btrfs_inode(3, scoped=False),
        "fs/btrfs/ctree.h": b'#define BTRFS_MSG "GFP_NOFS"\n',
        "fs/ext4/super.c": b"int ext4_fill(void)\n{\n\treturn kmalloc(1, GFP_NOFS) != 0; // GFP_NOFS\n}\n",
        "fs/namei.c": b"static int x = GFP_NOFS;\n",
        "fs/latin1.c": b"/* caf\xe9 */ int f(void)\n{\n\treturn GFP_NOFS;\n}\n",
        "fs/binary.c": b"GFP_NOFS\0\x01\x02",
        "fs/alias.c": Symlink(b"namei.c"),
        "mm/page_alloc.c": b"void f(void)\n{\n\tg(GFP_NOIO | __GFP_FS);\n}\n",
        "drivers/md/raid1.c": b"void r(void)\n{\n\tkmalloc(1, GFP_NOIO);\n\tkmalloc(2, GFP_NOIO);\n}\n",
        "drivers/md/plain.c": b"int nothing_tracked_here;\n",
    }


def build_history(path: Path) -> RepoBuilder:
    """v1.9 -> v1.10 (btrfs converts two calls) -> v1.10.1 (ext4 gone, raid1 converted) -> v2.0-rc1 -> v2.0.

    v1.10 is a pull: a btrfs topic branch of two commits merged into a mainline that moved meanwhile.
    """
    repo = kernel_repository(path)
    v1_9 = repo.commit(first_release_files(), "Linux v1.9")
    repo.tag("v1.9")
    files = repo.files
    first = repo.commit_on(
        [v1_9],
        {**files, "fs/btrfs/inode.c": btrfs_inode(2, scoped=True)},
        BTRFS_FIRST_MESSAGE,
        author="Alice Btrfs",
    )
    second = repo.commit_on(
        [first], {**files, "fs/btrfs/inode.c": btrfs_inode(1, scoped=True)}, "btrfs: convert one more", "Alice Btrfs"
    )
    tidy = repo.commit_on([v1_9], {**files, "Makefile": b"# tidied\n"}, "kbuild: tidy the Makefile", "Kees Build")
    merged = {**files, "Makefile": b"# tidied\n", "fs/btrfs/inode.c": btrfs_inode(1, scoped=True)}
    repo.merge([tidy, second], merged, BTRFS_MERGE_SUBJECT)
    repo.tag("v1.10", annotated=False)
    repo.release(
        "v1.10.1",
        {
            "fs/ext4/super.c": None,
            "drivers/md/raid1.c": b"void r(void)\n{\n\tunsigned f = memalloc_noio_save();\n}\n",
        },
    )
    repo.release("v2.0-rc1", {"mm/page_alloc.c": b"/* GFP_NOIO is gone */\n"})
    repo.release("v2.0", {"fs/xfs/xfs_buf.c": b"void x(void)\n{\n\tkmalloc(1, GFP_NOFS | __GFP_NOFAIL);\n}\n"})
    return repo


# v2.1 of the context history: GFP_NOFS in every role the context tables count, with known callees and flags.
XFS_CONTEXT = b"""int xfs_ctx(struct address_space *m, struct bio *b, gfp_t gfp)
{
\tvoid *p = kmalloc(8, GFP_NOFS | __GFP_NOFAIL);
\tvoid *q = kzalloc(8, GFP_NOFS);
\tstruct page *pg = alloc_pages(GFP_NOFS | __GFP_NOWARN, 0);
\tvoid *r = mempool_alloc(pool, GFP_NOFS | __GFP_NOFAIL);
\tvoid *s = kmalloc(16, GFP_NOFS);
\tmapping_set_gfp_mask(m, GFP_NOFS);
\tb->gfp = GFP_NOFS;
\tif (gfp == GFP_NOFS)
\t\tgfp &= ~__GFP_FS;
\treturn 0;
}
"""
XFS_CONTEXT_PATH = "fs/xfs/xfs_ctx.c"


# fs/xfs at v2.1 of build_context_history, by (role, callee): code uses, of them with __GFP_NOFAIL
FS_XFS = [
    ("argument", "kmalloc", 3, 2),
    ("argument", "alloc_pages", 1, 0),
    ("argument", "kzalloc", 1, 0),
    ("policy", "mapping_set_gfp_mask", 1, 0),
    ("argument", "mempool_alloc", 1, 1),
    ("mask", None, 1, 0),  # if (gfp == GFP_NOFS)
    ("policy", None, 1, 0),  # b->gfp = GFP_NOFS
]


def build_context_history(path: Path) -> RepoBuilder:
    """The kernel-like history, then v2.1 adding XFS_CONTEXT beside v2.0's kmalloc(1, GFP_NOFS | __GFP_NOFAIL)."""
    repo = build_history(path)
    repo.release("v2.1", {XFS_CONTEXT_PATH: XFS_CONTEXT})
    return repo


def git_grep(repo: Path, tag: str, directory: str = "") -> Counter[str]:
    """The reference: `git grep -o -w IDENT TAG -- 'DIR/*.c' 'DIR/*.h'`, tallied per identifier."""
    prefix = f"{directory}/" if directory else ""
    args = ["git", "-C", str(repo), "grep", "-o", "-w", "-h"]
    for name in NAMES:
        args += ["-e", name]
    args += [tag, "--", f"{prefix}*.c", f"{prefix}*.h"]
    output = subprocess.run(args, capture_output=True, check=False).stdout
    return Counter(line.rsplit(b":", 1)[-1].decode() for line in output.splitlines())


LATIN1_PATH = "fs/caf\udce9/inode.c"  # the bytes fs/caf\xe9/inode.c, as pygit2 and the ingest hold them


def build_torvalds_oddities(path: Path) -> RepoBuilder:
    """torvalds/linux's real oddities: v2.6.11 and v2.6.11-tree point at a tree (the history before git),
    a tag points at a blob, an annotated tag points at another annotated tag, a release tree has no
    .c/.h at all, and a path is not UTF-8; the rest are ordinary 2.6-era releases and a stable one."""
    repo = kernel_repository(path)
    first = {"MAINTAINERS": MAINTAINERS, "fs/ext4/super.c": b"int a = GFP_NOFS;\n"}
    commit = repo.commit(first, "Linux-2.6.11")
    tree = repo.repo[commit].peel(pygit2.Tree).id
    repo.repo.references.create("refs/tags/v2.6.11-tree", tree)
    repo.repo.create_tag("v2.6.11", tree, pygit2.GIT_OBJECT_TREE, repo.signature(), "Linux 2.6.11 (a tree)")
    repo.release("v2.6.12", {LATIN1_PATH: b"void f(void)\n{\n\tkmalloc(1, GFP_NOFS);\n}\n"})
    repo.change({"fs/ext4/super.c": b"int a = GFP_NOFS, b = GFP_NOFS;\n"}, "Linux 2.6.13")
    inner = repo.repo.create_tag("v2.6.13-inner", repo.head, pygit2.GIT_OBJECT_COMMIT, repo.signature(), "inner")
    repo.repo.create_tag("v2.6.13", inner, pygit2.GIT_OBJECT_TAG, repo.signature(), "Linux 2.6.13, a tag of a tag")
    key = repo.repo.create_blob(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    repo.repo.references.create("refs/tags/v2.6.14", key)
    repo.commit({"MAINTAINERS": MAINTAINERS, "README": b"no C here\n"}, "Linux 2.6.15: nothing to count")
    repo.tag("v2.6.15")
    repo.release("v2.6.15.1", {"fs/xfs/xfs_buf.c": b"int x = GFP_NOFS;\n"})
    return repo


WIDE_MAINLINE = 105  # v3.0 ... v3.104
WIDE_STABLE = 30  # v3.50.1 ... v3.50.30
LONG_PATH = "drivers/gpu/drm/amd/display/dc/resource/dcn302/dcn302_resource_and_clock_manager_helpers.c"


def build_wide_history(path: Path) -> RepoBuilder:
    """More than a hundred mainline releases and a stable series of thirty: what linux-stable's tag count
    does to axes, selectors and tables. Each release converts or adds a GFP_NOFS in one of ten files."""
    repo = kernel_repository(path)
    files = {"MAINTAINERS": MAINTAINERS, **{f"fs/ext4/f{i}.c": btrfs_inode(5, scoped=False) for i in range(10)}}
    # kernel paths run long; a table of them must still fit the page
    files[LONG_PATH] = btrfs_inode(2, scoped=False)
    repo.commit(files, "Linux 3.0")
    repo.tag("v3.0")
    for number in range(1, WIDE_MAINLINE):
        name = f"fs/ext4/f{number % 10}.c" if number % 8 else LONG_PATH  # v3.104 moves it: an overview mover
        repo.release(f"v3.{number}", {name: btrfs_inode(5 - number // 25, scoped=number % 2 == 0)})
        if number == 50:
            release = repo.head
            for fix in range(1, WIDE_STABLE + 1):
                repo.head = repo.commit_on([repo.head], {**repo.files, "fs/ext4/stable.c": btrfs_inode(fix % 3, False)},
                                           f"ext4: stable fix {fix}")  # fmt: skip
                repo.tag(f"v3.50.{fix}")
            repo.head = release
    return repo


MANY_FILESYSTEMS = (
    "btrfs", "xfs", "ext4", "ubifs", "ntfs3", "f2fs", "ocfs2", "gfs2", "nfs", "ceph", "jfs", "reiserfs",
    "udf", "ext2", "nilfs2", "hfsplus", "smb", "fuse", "erofs", "jbd2", "afs", "9p", "orangefs", "squashfs",
)  # fmt: skip
MANY_BACK = 6  # v4.0 ... v4.6
CONVERSION_SUBJECT = "btrfs: use a NOFS scope for the whole of extent buffer allocation instead of GFP_NOFS per call"
CONVERSION_CALLS = 16  # GFP_NOFS calls the conversion removes from one function


def fs_function(name: str, nofs: int, scoped: bool) -> bytes:
    """One function of a filesystem with `nofs` GFP_NOFS allocations, inside a NOFS scope or not."""
    calls = "".join(f"\tp[{i}] = kmalloc({8 + i}, {'GFP_KERNEL' if scoped else 'GFP_NOFS'});\n" for i in range(nofs))
    if scoped:
        calls = f"\tnofs_flag = memalloc_nofs_save();\n{calls}\tmemalloc_nofs_restore(nofs_flag);\n"
    return f"int {name}(void **p)\n{{\n\tunsigned int nofs_flag;\n{calls}\treturn 0;\n}}\n".encode()


def build_many_filesystems(path: Path) -> RepoBuilder:
    """A kernel's worth of filesystems (more than a slide's table lists) over seven releases; in the last, a
    pull converts a whole function of btrfs to a NOFS scope: more lines than a slide's code pair shows."""
    repo = kernel_repository(path)
    files: dict[str, bytes] = {"MAINTAINERS": MAINTAINERS, "fs/namei.c": b"static int x = GFP_NOFS;\n"}
    for rank, name in enumerate(MANY_FILESYSTEMS):
        files[f"fs/{name}/super.c"] = fs_function(f"{name}_fill_super", len(MANY_FILESYSTEMS) - rank, False)
    files["fs/btrfs/extent_io.c"] = fs_function("alloc_extent_buffer", CONVERSION_CALLS, False)
    repo.commit(files, "Linux 4.0")
    repo.tag("v4.0")
    for number in range(1, MANY_BACK):
        name = MANY_FILESYSTEMS[number]
        repo.release(f"v4.{number}", {f"fs/{name}/super.c": fs_function(f"{name}_fill_super", number, False)})
    base = repo.head
    assert base is not None
    converted = {**repo.files, "fs/btrfs/extent_io.c": fs_function("alloc_extent_buffer", CONVERSION_CALLS, True)}
    topic = repo.commit_on([base], converted, CONVERSION_SUBJECT + "\n", author="Alice Btrfs")
    repo.merge([base, topic], converted, BTRFS_MERGE_SUBJECT.replace("1.10", "4.6"))
    repo.tag(f"v4.{MANY_BACK}")
    return repo
