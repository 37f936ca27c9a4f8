import os
import re
import subprocess
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.context_rules import ROLE_RULES, Role
from app.registry import NAMES, Kind
from ingest.context import MAX_STATEMENT_BYTES, OccurrenceContext, context_at, contexts
from ingest.count import Matcher

MATCHER = Matcher(NAMES)
# The kernel history of ../shared/scripts/kernel-history.py, when present: the excerpts below are checked
# against it, so that none is misquoted.
KERNEL_REPO = Path(os.environ.get("NOFS_KERNEL_REPO", Path.home() / "linux-history"))


def code_positions(source: bytes, name: str) -> list[int]:
    """Byte offsets of the code occurrences of `name`, found by the ingest's own lexer."""
    return [o.offset for o in MATCHER.scan(source).occurrences if o.kind == Kind.CODE and o.identifier == name]


def context(source: bytes, name: str = "GFP_NOFS", nth: int = 0) -> OccurrenceContext:
    return context_at(source, code_positions(source, name)[nth])


def check(got: OccurrenceContext, **expected: object) -> None:
    assert {key: asdict(got)[key] for key in expected} == expected


# ---- real kernel code (file and release named above each excerpt) ------------------------------------------

# fs/xfs/libxfs/xfs_exchmaps.c, v6.12.117: a call over two lines, with __GFP_NOFAIL
XFS_EXCHMAPS = b"""
	xmi = kmem_cache_zalloc(xfs_exchmaps_intent_cache,
			GFP_NOFS | __GFP_NOFAIL);
	INIT_LIST_HEAD(&xmi->xmi_list);
"""
# fs/xfs/xfs_discard.c, v6.12.117: the fourth argument of a call over four lines, nested calls before it
XFS_DISCARD = b"""
		error = __blkdev_issue_discard(bdev,
				XFS_FSB_TO_BB(mp, busyp->bno),
				XFS_FSB_TO_BB(mp, busyp->length),
				GFP_NOFS, &bio);
"""
# fs/xfs/xfs_inode_item.c, v6.12.117
XFS_INODE_ITEM = b"""
	dip = kzalloc(mp->m_sb.sb_inodesize, GFP_KERNEL | GFP_NOFS);
"""
# fs/ext4/acl.c, v6.12.117: sizeof( ) inside the call is not the callee
EXT4_ACL = b"""
	*size = ext4_acl_size(acl->a_count);
	ext_acl = kmalloc(sizeof(ext4_acl_header) + acl->a_count *
			sizeof(ext4_acl_entry), GFP_NOFS);
	if (!ext_acl)
"""
# fs/ext4/super.c, v6.12.117: mapping_gfp_constraint(m, ~__GFP_FS) is mask arithmetic; __GFP_MOVABLE is
# OR-ed outside the call, so it is not in the occurrence's argument
EXT4_SB_BREAD = b"""
struct buffer_head *ext4_sb_bread(struct super_block *sb, sector_t block,
				   blk_opf_t op_flags)
{
	gfp_t gfp = mapping_gfp_constraint(sb->s_bdev->bd_mapping,
			~__GFP_FS) | __GFP_MOVABLE;

	return __ext4_sb_bread_gfp(sb, block, op_flags, gfp);
}
"""
# fs/btrfs/extent_io.c, v6.12.117: a policy chosen by a ternary, one branch with __GFP_NOFAIL
BTRFS_PAGE_ARRAY = b"""
int btrfs_alloc_page_array(unsigned int nr_pages, struct page **page_array,
			   bool nofail)
{
	const gfp_t gfp = nofail ? (GFP_NOFS | __GFP_NOFAIL) : GFP_NOFS;
	unsigned int allocated;
"""
# fs/btrfs/fs.h, v6.12.117
BTRFS_WRITE_MASK = b"""
static inline gfp_t btrfs_alloc_write_mask(struct address_space *mapping)
{
	return mapping_gfp_constraint(mapping, ~__GFP_FS);
}
"""
# fs/btrfs/verity.c, v6.12.117: the innermost call is the callee
BTRFS_VERITY = b"""
	folio = filemap_alloc_folio(mapping_gfp_constraint(inode->i_mapping, ~__GFP_FS),
				    0);
"""
# fs/f2fs/inode.c, v6.12.117: a mask stored in the mapping, under an #endif, over two lines
F2FS_INODE = b"""
		inode->i_mode |= S_IFREG;
#endif
		mapping_set_gfp_mask(inode->i_mapping,
			GFP_NOFS | __GFP_HIGHMEM | __GFP_MOVABLE);
	} else if (S_ISREG(inode->i_mode)) {
"""
# fs/gfs2/inode.c, v6.12.117
GFS2_INODE = b"""
	gfp_mask = mapping_gfp_mask(inode->i_mapping);
	mapping_set_gfp_mask(inode->i_mapping, gfp_mask & ~__GFP_FS);
}
"""
# fs/buffer.c, v6.12.117
BUFFER_CREATE_EMPTY = b"""
	struct buffer_head *bh, *head, *tail;
	gfp_t gfp = GFP_NOFS | __GFP_ACCOUNT | __GFP_NOFAIL;

	head = folio_alloc_buffers(folio, blocksize, gfp);
"""
# fs/ubifs/file.c, v6.12.117: mask arithmetic stored in a variable
UBIFS_BULK = b"""
	gfp_t ra_gfp_mask = readahead_gfp_mask(mapping) & ~__GFP_FS;
"""
# net/ceph/messenger.c, v6.12.117: the socket's allocation policy
CEPH_CONNECT = b"""
	memalloc_noio_restore(noio_flag);
	if (ret)
		return ret;
	sock->sk->sk_allocation = GFP_NOFS;
	sock->sk->sk_use_task_frag = false;
"""
# drivers/gpu/drm/ttm/ttm_pool.c, v6.12.117: a designated initializer
TTM_POOL = b"""
static int ttm_pool_debugfs_shrink_show(struct seq_file *m, void *data)
{
	struct shrink_control sc = { .gfp_mask = GFP_NOFS };

	fs_reclaim_acquire(GFP_KERNEL);
"""
# drivers/md/dm.c, v6.12.117: a ternary in the fifth argument of a call over two lines
DM_ALLOC_TIO = b"""
		for (bio_nr = 0; bio_nr < num_bios; bio_nr++) {
			bio = alloc_tio(ci, ti, bio_nr, len,
					try ? GFP_NOIO : GFP_NOWAIT);
			if (!bio)
"""
# drivers/md/dm-snap.c, v6.12.117: a comparison, in an if
DM_SNAP = b"""
	e = kmem_cache_alloc(exception_cache, gfp);
	if (!e && gfp == GFP_NOIO)
		e = kmem_cache_alloc(exception_cache, GFP_ATOMIC);
"""
# drivers/usb/core/hub.c, v6.12.117: a call through a function pointer, after a comment holding a ';'-free
# sentence and an if
USB_HUB = b"""
			/* The internal host controller state for the hub device
			 * may be gone after a host power loss on system resume.
			 * Update the device's info so the HW knows it's a hub.
			 */
			hcd = bus_to_hcd(hdev->bus);
			if (hcd->driver->update_hub_device) {
				ret = hcd->driver->update_hub_device(hcd, hdev,
						&hub->tt, GFP_NOIO);
"""
# include/linux/gfp_types.h, v6.12.117
GFP_TYPES = b"""#define GFP_NOIO	(__GFP_RECLAIM)
#define GFP_NOFS	(__GFP_RECLAIM | __GFP_IO)
"""
# include/linux/f2fs_fs.h, v6.12.117
F2FS_FS_H = b"#define GFP_F2FS_ZERO\t\t(GFP_NOFS | __GFP_ZERO)\n"
# include/trace/events/mmflags.h, v6.12.117: a call inside a multi-line macro body; the "callee" is itself a
# macro that makes an initializer, which a lexical reading cannot see
MMFLAGS = b"""
#define gfpflag_string(flag) {(__force unsigned long)flag, #flag}

#define __def_gfpflag_names			\\
	gfpflag_string(GFP_TRANSHUGE),		\\
	gfpflag_string(GFP_TRANSHUGE_LIGHT),	\\
	gfpflag_string(GFP_HIGHUSER_MOVABLE),	\\
	gfpflag_string(GFP_HIGHUSER),		\\
	gfpflag_string(GFP_USER),		\\
	gfpflag_string(GFP_KERNEL_ACCOUNT),	\\
	gfpflag_string(GFP_KERNEL),		\\
	gfpflag_string(GFP_NOFS),		\\
	gfpflag_string(GFP_ATOMIC),		\\
	gfpflag_string(GFP_NOIO),		\\
	gfpflag_string(GFP_NOWAIT),		\\
"""
# include/linux/sched/mm.h, v6.12.117: tests of task flags, clearing mask bits
CURRENT_GFP_CONTEXT = b"""
static inline gfp_t current_gfp_context(gfp_t flags)
{
	unsigned int pflags = READ_ONCE(current->flags);

	if (unlikely(pflags & (PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS | PF_MEMALLOC_PIN))) {
		/*
		 * NOIO implies both NOIO and NOFS and it is a weaker context
		 * so always make sure it makes precedence
		 */
		if (pflags & PF_MEMALLOC_NOIO)
			flags &= ~(__GFP_IO | __GFP_FS);
		else if (pflags & PF_MEMALLOC_NOFS)
			flags &= ~__GFP_FS;
"""
# fs/xfs/scrub/xfile.c, v6.12.117: the scoped API is called, not passed
XFILE = b"""
	trace_xfile_load(xf, pos, count);

	pflags = memalloc_nofs_save();
	while (count > 0) {
"""
# mm/page_alloc.c, v6.12.117
PAGE_ALLOC = b"""
void fs_reclaim_acquire(gfp_t gfp_mask)
{
	gfp_mask = current_gfp_context(gfp_mask);

	if (__need_reclaim(gfp_mask)) {
		if (gfp_mask & __GFP_FS)
			__fs_reclaim_acquire(_RET_IP_);
"""

REAL = [
    (
        XFS_EXCHMAPS,
        "GFP_NOFS",
        0,
        dict(role=Role.ARGUMENT, callee="kmem_cache_zalloc", argument_index=1, flags=("__GFP_NOFAIL",)),
    ),
    (XFS_DISCARD, "GFP_NOFS", 0, dict(role=Role.ARGUMENT, callee="__blkdev_issue_discard", argument_index=3)),
    (XFS_INODE_ITEM, "GFP_NOFS", 0, dict(role=Role.ARGUMENT, callee="kzalloc", flags=("GFP_KERNEL",))),
    (EXT4_ACL, "GFP_NOFS", 0, dict(role=Role.ARGUMENT, callee="kmalloc", argument_index=1, flags=())),
    (
        EXT4_SB_BREAD,
        "__GFP_FS",
        0,
        dict(role=Role.MASK, callee="mapping_gfp_constraint", argument_index=1, flags=(), negated=True),
    ),
    (
        BTRFS_PAGE_ARRAY,
        "GFP_NOFS",
        0,
        dict(role=Role.POLICY, callee=None, flags=("__GFP_NOFAIL",), conditional=True, reason="assigned"),
    ),
    (BTRFS_PAGE_ARRAY, "GFP_NOFS", 1, dict(role=Role.POLICY, flags=(), conditional=True)),
    (BTRFS_WRITE_MASK, "__GFP_FS", 0, dict(role=Role.MASK, callee="mapping_gfp_constraint", negated=True)),
    (BTRFS_VERITY, "__GFP_FS", 0, dict(role=Role.MASK, callee="mapping_gfp_constraint", argument_index=1)),
    (
        F2FS_INODE,
        "GFP_NOFS",
        0,
        dict(
            role=Role.POLICY, callee="mapping_set_gfp_mask", argument_index=1, flags=("__GFP_HIGHMEM", "__GFP_MOVABLE")
        ),
    ),
    (GFS2_INODE, "__GFP_FS", 0, dict(role=Role.POLICY, callee="mapping_set_gfp_mask", negated=True)),
    (
        BUFFER_CREATE_EMPTY,
        "GFP_NOFS",
        0,
        dict(role=Role.POLICY, callee=None, reason="assigned", flags=("__GFP_ACCOUNT", "__GFP_NOFAIL")),
    ),
    (UBIFS_BULK, "__GFP_FS", 0, dict(role=Role.MASK, callee=None, negated=True, reason="assigned")),
    (CEPH_CONNECT, "GFP_NOFS", 0, dict(role=Role.POLICY, callee=None, reason="assigned")),
    (TTM_POOL, "GFP_NOFS", 0, dict(role=Role.POLICY, reason="designated initializer")),
    (
        DM_ALLOC_TIO,
        "GFP_NOIO",
        0,
        dict(role=Role.ARGUMENT, callee="alloc_tio", argument_index=4, flags=(), conditional=True),
    ),
    (DM_SNAP, "GFP_NOIO", 0, dict(role=Role.MASK, callee=None, reason="test")),
    (USB_HUB, "GFP_NOIO", 0, dict(role=Role.ARGUMENT, callee="->update_hub_device", argument_index=3)),
    (GFP_TYPES, "__GFP_IO", 0, dict(role=Role.MACRO, in_macro=True, flags=("__GFP_RECLAIM",))),
    (F2FS_FS_H, "GFP_NOFS", 0, dict(role=Role.MACRO, in_macro=True, flags=("__GFP_ZERO",))),
    (MMFLAGS, "GFP_NOFS", 0, dict(role=Role.ARGUMENT, callee="gfpflag_string", argument_index=0, in_macro=True)),
    (MMFLAGS, "GFP_NOIO", 0, dict(role=Role.ARGUMENT, callee="gfpflag_string", in_macro=True)),
    (CURRENT_GFP_CONTEXT, "PF_MEMALLOC_NOFS", 0, dict(role=Role.MASK, reason="control condition")),
    (
        CURRENT_GFP_CONTEXT,
        "__GFP_FS",
        0,
        dict(role=Role.MASK, reason="compound assignment", negated=True, flags=("__GFP_IO",)),
    ),
    (CURRENT_GFP_CONTEXT, "__GFP_FS", 1, dict(role=Role.MASK, negated=True, flags=())),
    (XFILE, "memalloc_nofs_save", 0, dict(role=Role.CALL, callee=None)),
    (PAGE_ALLOC, "__GFP_FS", 0, dict(role=Role.MASK, callee=None, reason="control condition")),
]


@pytest.mark.skipif(not (KERNEL_REPO / "HEAD").exists() and not (KERNEL_REPO / ".git").exists(), reason="no kernel")
def test_excerpts_are_verbatim() -> None:
    quoted = re.findall(
        r"^# ([\w./-]+\.[ch]), (v[\d.]+)[^\n]*\n(?:#[^\n]*\n)*(\w+) = ", Path(__file__).read_text(), re.M
    )
    assert len(quoted) >= 20
    for path, tag, name in quoted:
        real = subprocess.run(
            ["git", "-C", str(KERNEL_REPO), "show", f"{tag}:{path}"], capture_output=True, check=True
        ).stdout
        assert globals()[name].strip(b"\n") in real, f"{name} is not in {path} at {tag}"


@pytest.mark.parametrize(("source", "name", "nth", "expected"), REAL)
def test_real_kernel_excerpts(source: bytes, name: str, nth: int, expected: dict[str, object]) -> None:
    check(context(source, name, nth), **expected)


# ---- synthetic edge cases -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "callee", "index"),
    [
        (b"x = foo(bar(GFP_NOFS));", "bar", 0),
        (b"x = foo(bar(n), GFP_NOFS);", "foo", 1),
        (b"p = kmalloc(n, (gfp_t)GFP_NOFS);", "kmalloc", 1),
        (b"p = kmalloc(n, (__force gfp_t)(GFP_NOFS | __GFP_ZERO));", "kmalloc", 1),
        (b"p = kmalloc(n, ((GFP_NOFS)));", "kmalloc", 1),
        (b"p = s.alloc(n, GFP_NOFS);", ".alloc", 1),
        (b"p = (*fn)(n, GFP_NOFS);", "(*fn)", 1),
        (b"p = (*ops->fn)(n, GFP_NOFS);", "(*ops->fn)", 1),
        (b"return kmalloc(n, GFP_NOFS);", "kmalloc", 1),
        (b"p = kmalloc(sizeof(*p), nofs ? GFP_NOFS : GFP_KERNEL);", "kmalloc", 1),
        (b"p = kmalloc(n, a == b ? GFP_KERNEL : GFP_NOFS);", "kmalloc", 1),
        (b"p = f(\"a;b\", '}', GFP_NOFS);", "f", 2),
        (b"p = kmalloc(n, /* {;} */\n\t\tGFP_NOFS);", "kmalloc", 1),
        (b"p = kmalloc(n,\n/* a comment\n   over lines; with a semicolon\n */\n\t\tGFP_NOFS);", "kmalloc", 1),
        (b"for (i = 0; i < n; i++)\n\tp[i] = kmalloc(n, GFP_NOFS);", "kmalloc", 1),
        (b"p = kmalloc(n,\n#ifdef CONFIG_X /* ; */\n\tGFP_NOFS\n#else\n\tGFP_NOIO\n#endif\n\t);", "kmalloc", 1),
        (b"if (x) {\n} else p = kmalloc(n, GFP_NOFS);", "kmalloc", 1),
        (b"DEFINE_POOL(pool, GFP_NOFS);", "DEFINE_POOL", 1),
        (b"#define my_alloc(n) \\\n\tkmalloc((n), \\\n\t\tGFP_NOFS)\n", "kmalloc", 1),
    ],
)
def test_callee(source: bytes, callee: str, index: int) -> None:
    check(context(b"void f(void)\n{\n" + source + b"\n}\n"), callee=callee, argument_index=index)


@pytest.mark.parametrize(
    ("source", "role", "reason"),
    [
        (b"gfp_t gfp = GFP_NOFS;", Role.POLICY, "assigned"),
        (b"x->gfp_mask = GFP_NOFS;", Role.POLICY, "assigned"),
        (b"gfp = nofs ? GFP_NOFS : GFP_KERNEL;", Role.POLICY, "assigned"),
        (b"return GFP_NOFS;", Role.POLICY, "returned"),
        (b"return (GFP_NOFS | __GFP_NOWARN);", Role.POLICY, "returned"),
        (b"return gfp & ~__GFP_FS;", Role.MASK, "returned"),
        (b"gfp &= ~__GFP_FS;", Role.MASK, "compound assignment"),
        (b"gfp |= __GFP_FS;", Role.MASK, "compound assignment"),
        (b"if ((gfp & GFP_NOFS) == GFP_NOFS) return;", Role.MASK, "test"),
        (b"if (!(gfp & __GFP_FS)) return;", Role.MASK, "test"),
        (b"WARN_ON(gfp == GFP_NOFS);", Role.MASK, "test"),
        (b"x = (gfp & __GFP_FS) ? 1 : 2;", Role.MASK, "test"),
        (b"switch (gfp) { case GFP_NOFS: break; }", Role.MASK, "case label"),
        (b"while (gfp & __GFP_FS) g();", Role.MASK, "control condition"),
        (b"GFP_NOFS;", Role.OTHER, "expression statement"),
        (b"x = table[GFP_NOFS];", Role.OTHER, "array index"),
        (b"x = sizeof(GFP_NOFS);", Role.OTHER, "operand of sizeof"),
    ],
)
def test_roles_in_a_function(source: bytes, role: Role, reason: str) -> None:
    name = "GFP_NOFS" if b"GFP_NOFS" in source else "__GFP_FS"
    check(context(b"int f(gfp_t gfp)\n{\n\t" + source + b"\n}\n", name), role=role, reason=reason, callee=None)


def test_initializers_store_a_policy() -> None:
    source = b"static const gfp_t masks[] = {\n\tGFP_KERNEL,\n\tGFP_NOFS,\n\tGFP_NOIO\n};\n"
    assert context(source).reason == context(source, "GFP_NOIO").reason == "initializer element"
    nested = b"static struct x table[] = {\n\t{ .id = 1, .gfp = GFP_NOFS },\n\t{ 2, GFP_NOIO },\n};\n"
    check(context(nested), role=Role.POLICY, reason="designated initializer")
    check(context(nested, "GFP_NOIO"), role=Role.POLICY, reason="initializer element")


def test_flags_are_those_of_the_operand_not_of_other_branches_or_arguments() -> None:
    source = b"p = f(GFP_KERNEL, c ? GFP_ATOMIC : (GFP_NOFS | __GFP_NOFAIL) | __GFP_NOWARN, __GFP_ZERO);"
    check(context(source), callee="f", argument_index=1, flags=("__GFP_NOFAIL", "__GFP_NOWARN"), conditional=True)


def test_a_tilde_before_a_group_negates_every_name_in_it() -> None:
    source = b"m = gfp & ~(__GFP_IO | __GFP_FS);"
    assert context(source, "__GFP_FS").negated and context(source, "__GFP_IO").negated
    assert not context(b"m = gfp & __GFP_FS;", "__GFP_FS").negated


def test_other_directives_are_not_macro_bodies() -> None:
    check(context(b"#if GFP_NOFS\n#endif\n"), role=Role.OTHER, reason="preprocessor directive")


def test_a_statement_out_of_reach_is_reported_not_guessed() -> None:
    source = b"x = f(" + b"a,\n" * (MAX_STATEMENT_BYTES // 3) + b"GFP_NOFS);"
    check(context(source), role=Role.OTHER, reason="no balanced statement within reach")


def test_batch_equals_one_by_one_and_offsets_match_line_and_column() -> None:
    source = BUFFER_CREATE_EMPTY + USB_HUB + F2FS_INODE + CURRENT_GFP_CONTEXT
    occurrences = [o for o in MATCHER.scan(source).occurrences if o.kind == Kind.CODE]
    positions = [o.offset for o in occurrences]
    line_starts = [0] + [i + 1 for i, byte in enumerate(source) if byte == 0x0A]
    assert positions == [line_starts[o.line - 1] + o.col - 1 for o in occurrences]
    for occurrence, pos in zip(occurrences, positions, strict=True):
        assert source[pos : pos + len(occurrence.identifier)].decode() == occurrence.identifier
    assert contexts(source, positions) == [context_at(source, pos) for pos in positions]


def test_every_role_has_a_rule_text() -> None:
    assert set(ROLE_RULES) == set(Role) and all(ROLE_RULES.values())


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"GFP_NOFS",
                b"f",
                b" ",
                b"\n",
                b"(",
                b")",
                b"{",
                b"}",
                b"[",
                b"]",
                b",",
                b";",
                b"=",
                b"?",
                b":",
                b"&",
                b"~",
                b"|",
                b"==",
                b"/*",
                b"*/",
                b"//",
                b'"',
                b"'",
                b"\\",
                b"#define X ",
                b"#if ",
                b"return ",
                b"case ",
                b".",
                b"->",
                b"*",
                b"\xff",
            ]
        ),
        max_size=50,
    )
)
def test_any_input_gives_a_context(parts: list[bytes]) -> None:
    source = b"".join(parts)
    for pos in code_positions(source, "GFP_NOFS"):
        got = context_at(source, pos)
        assert (got.callee is None) == (got.argument_index is None)
        assert got.role is not Role.ARGUMENT or got.callee is not None  # an argument is an argument of a call
        assert got.role is not Role.CALL or got.callee is None  # the name called is no argument
        assert list(got.flags) == sorted(set(got.flags))
        assert got.reason  # every decision names the rule that made it
