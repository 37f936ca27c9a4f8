"""Scopes judged across calls: openers and closers from the code, uses redundant here and through callers,
and the scope API's own findings. Kernel-shaped code, then real excerpts (tests/data/scopes/)."""

from pathlib import Path

from app.scope_rules import Finding, How
from ingest.count import Matcher
from ingest.scopes.facts import file_facts
from ingest.scopes.graph import Found, Judgement, ScopeGraph, Use

TRANS_H = b"""\
static inline void xfs_trans_set_context(struct xfs_trans *tp)
{
	tp->t_pflags = memalloc_nofs_save();
}

static inline void xfs_trans_clear_context(struct xfs_trans *tp)
{
	if (current->journal_info == tp)
		memalloc_nofs_restore(tp->t_pflags);
}
"""

TRANS_C = b"""\
int xfs_trans_alloc(struct xfs_mount *mp, struct xfs_trans **tpp)
{
	tp = kmem_cache_zalloc(xfs_trans_cache, GFP_KERNEL | __GFP_NOFAIL);
	xfs_trans_set_context(tp);
	error = xfs_trans_reserve(tp, resp);
	if (error) {
		xfs_trans_cancel(tp);
		return error;
	}
	*tpp = tp;
	return 0;
}

static void xfs_trans_free(struct xfs_trans *tp)
{
	xfs_trans_clear_context(tp);
	kmem_cache_free(xfs_trans_cache, tp);
}

int xfs_trans_commit(struct xfs_trans *tp)
{
	xfs_trans_free(tp);
	return 0;
}

void xfs_trans_cancel(struct xfs_trans *tp)
{
	xfs_trans_free(tp);
}
"""

USER_C = b"""\
static int xfs_fill(struct xfs_inode *ip)
{
	ip->buf = kmalloc(64, GFP_NOFS);		/* line 3: called only in scope */
	return 0;
}

static int xfs_step(struct xfs_inode *ip)
{
	return xfs_fill(ip);
}

int xfs_setattr(struct xfs_inode *ip)
{
	error = xfs_trans_alloc(mp, &tp);
	if (error)
		return error;
	p = kzalloc(4, GFP_NOFS);			/* line 17: here */
	xfs_step(ip);
	error = xfs_trans_commit(tp);
	q = kzalloc(4, GFP_NOFS);			/* line 20: after the commit */
	return error;
}

static int xfs_loose(struct xfs_inode *ip)
{
	r = kzalloc(4, GFP_NOFS);			/* line 26: one caller outside a scope */
	return 0;
}

int xfs_outside(struct xfs_inode *ip)
{
	error = xfs_trans_alloc(mp, &tp);
	xfs_loose(ip);
	xfs_trans_cancel(tp);
	return xfs_loose(ip);
}

static int xfs_pointed(struct xfs_inode *ip)
{
	s = kzalloc(4, GFP_NOFS);			/* line 39: also called through a pointer */
	return 0;
}

int xfs_caller(struct xfs_inode *ip)
{
	error = xfs_trans_alloc(mp, &tp);
	xfs_pointed(ip);
	t = bio_alloc(bdev, 1, 0, GFP_NOIO);		/* line 46: a NOFS scope does not cover NOIO */
	xfs_trans_commit(tp);
	return 0;
}
static const struct xfs_ops ops = { .fn = xfs_pointed };
"""

FILES = {"fs/xfs/xfs_trans.h": TRANS_H, "fs/xfs/xfs_trans.c": TRANS_C, "fs/xfs/xfs_inode.c": USER_C}
ALL_NAMES = frozenset({"xfs_fill", "xfs_step", "xfs_setattr", "xfs_loose", "xfs_outside", "xfs_pointed", "xfs_caller"})


def judge(files: dict[str, bytes], complete: frozenset[str] = ALL_NAMES) -> tuple[ScopeGraph, list[Found]]:
    matcher = Matcher(("GFP_NOFS", "GFP_NOIO"))
    uses = {
        path: [Use(o.identifier, o.offset, o.line) for o in matcher.scan(data).occurrences if o.kind == "code"]
        for path, data in files.items()
    }
    graph = ScopeGraph({path: file_facts(data) for path, data in files.items()})
    return graph, Judgement(graph, uses, complete).findings()


def redundant(found: list[Found]) -> dict[int, How]:
    return {f.line: f.how for f in found if f.kind is Finding.REDUNDANT and f.path == "fs/xfs/xfs_inode.c"}


def test_openers_and_closers_are_found_from_the_code_and_propagate_through_calls() -> None:
    graph, _found = judge(FILES)
    assert {name for _path, name in graph.openers} == {"xfs_trans_set_context", "xfs_trans_alloc"}
    assert {name for _path, name in graph.closers} == {
        "xfs_trans_clear_context",
        "xfs_trans_free",
        "xfs_trans_commit",
        "xfs_trans_cancel",
    }
    # a static function of a .c file is its file's own; a static inline of a header is everyone's
    assert ("fs/xfs/xfs_trans.c", "xfs_trans_free") in graph.closers
    assert (None, "xfs_trans_set_context") in graph.openers


def test_uses_are_redundant_inside_a_transaction_and_through_callers_only_in_scope() -> None:
    _graph, found = judge(FILES)
    assert redundant(found) == {17: How.HERE, 3: How.CALLERS}
    chain = next(f for f in found if f.line == 3 and f.kind is Finding.REDUNDANT).evidence
    assert [(s.function, s.depth) for s in chain][:2] == [("xfs_step", 0), ("xfs_setattr", 1)]
    assert "xfs_trans_alloc" in chain[1].why
    assert [s.function for s in chain[2:]] == ["xfs_trans_alloc", "xfs_trans_set_context"]


def test_a_function_with_an_unread_mention_is_not_judged_called_only_in_scope() -> None:
    _graph, found = judge(FILES, ALL_NAMES - {"xfs_fill"})
    assert redundant(found) == {17: How.HERE}


def test_without_its_closer_a_transaction_would_cover_too_much() -> None:
    # the closer is what ends the scope: read without xfs_trans_commit's file, line 20 would look covered,
    # which is why the reading follows closers' names before judging (ingest/scopes/tree.py)
    files = {**FILES, "fs/xfs/xfs_trans.c": TRANS_C.replace(b"xfs_trans_free(tp);\n\treturn 0;", b"return 0;")}
    _graph, found = judge(files)
    assert 20 in redundant(found)


def test_scope_api_findings() -> None:
    source = b"""\
int wrapper(struct super_block *sb)
{
	unsigned int flags = memalloc_nofs_save();
	ret = sync_filesystem(sb);
	memalloc_nofs_restore(flags);
	return ret;
}

int forgets(void)
{
	unsigned int flags = memalloc_nofs_save();
	return do_work();
}

int foreign(void)
{
	unsigned int flags = current->flags & PF_MEMALLOC_NOFS;
	do_work();
	memalloc_nofs_restore(flags);
	return 0;
}

int balanced(void)
{
	unsigned int flags = memalloc_nofs_save();
	a = kmalloc(8, GFP_NOFS);
	if (a)
		b = helper(a);
	memalloc_nofs_restore(flags);
	return 0;
}
"""
    _graph, found = judge({"fs/x/api.c": source}, frozenset())
    assert {(f.kind, f.function, f.line) for f in found} == {
        (Finding.WRAPPER_SCOPE, "wrapper", 3),
        (Finding.UNPAIRED_SAVE, "forgets", 11),
        (Finding.FOREIGN_RESTORE, "foreign", 19),
        (Finding.REDUNDANT, "balanced", 26),
    }


def test_a_conditional_open_covers_nothing_and_an_error_path_restore_closes_nothing() -> None:
    source = b"""\
int maybe(bool nofs)
{
	if (nofs)
		flags = memalloc_nofs_save();
	a = kmalloc(8, GFP_NOFS);
	if (nofs)
		memalloc_nofs_restore(flags);
	return 0;
}

int erroring(void)
{
	unsigned int flags = memalloc_nofs_save();
	if (bad) {
		memalloc_nofs_restore(flags);
		return -EIO;
	}
	b = kmalloc(8, GFP_NOFS);
	memalloc_nofs_restore(flags);
	c = kmalloc(8, GFP_NOFS);
	return 0;
}
"""
    _graph, found = judge({"fs/x/paths.c": source}, frozenset())
    assert {f.line for f in found if f.kind is Finding.REDUNDANT} == {18}


DATA = Path(__file__).parents[2] / "data" / "scopes"


def test_real_jbd2_a_gfp_nofs_passed_to_the_opener_is_not_inside_its_scope() -> None:
    # jbd2_journal_start() passes GFP_NOFS to jbd2__journal_start(), whose start_this_handle() opens the
    # scope at its very end: the flag is used before the scope opens (a false positive of a first reading)
    graph, found = judge({"fs/jbd2/transaction.c": (DATA / "jbd2_transaction_v6.12.117.c").read_bytes()})
    assert {name for _path, name in graph.openers} >= {"start_this_handle", "jbd2__journal_start"}
    assert (None, "jbd2_journal_start") in graph.openers  # its caller holds the handle: the scope is open there
    assert [f for f in found if f.kind is Finding.REDUNDANT] == []


def test_real_btrfs_sysfs_the_allocation_inside_its_own_scope_is_redundant() -> None:
    path = "fs/btrfs/sysfs.c"
    _graph, found = judge({path: (DATA / "btrfs_sysfs_v6.12.117.c").read_bytes()}, frozenset())
    assert [(f.kind, f.line, f.how) for f in found] == [(Finding.REDUNDANT, 20, How.HERE)]
    assert found[0].evidence[0].line == 18 and "nofs_flag" in found[0].evidence[0].why


def test_real_cifs_a_scope_handed_on_through_a_field_by_way_of_locals() -> None:
    # fs/smb/client/cifsglob.h at v6.12.117, lines 807-821: the saved value goes through a local into
    # server->nofs_flag, and comes back out of it through a local: an opener and a closer, not an unpaired save
    # and a foreign restore (what a first reading said)
    header = (DATA / "cifsglob_v6.12.117.h").read_bytes()
    user = b"""\
static int cifs_send(struct TCP_Server_Info *server)
{
	cifs_server_lock(server);
	buf = kmalloc(64, GFP_NOFS);
	cifs_server_unlock(server);
	late = kmalloc(64, GFP_NOFS);
	return 0;
}
"""
    graph, found = judge({"fs/smb/client/cifsglob.h": header, "fs/smb/client/transport.c": user}, frozenset())
    assert {name for _path, name in graph.openers} == {"cifs_server_lock"}
    assert {name for _path, name in graph.closers} == {"cifs_server_unlock"}
    assert {(f.kind, f.line) for f in found if f.path.endswith("transport.c")} == {(Finding.REDUNDANT, 4)}
    assert not [f for f in found if f.kind in (Finding.UNPAIRED_SAVE, Finding.FOREIGN_RESTORE)]


def test_real_fsnotify_6_1_a_conditional_lock_is_no_opener_and_its_unlock_makes_no_caller_a_closer() -> None:
    # v6.1's fsnotify_group_lock saves only for FSNOTIFY_GROUP_NOFS groups, its unlock restores under the same
    # test. A first reading took the lock for nothing and the unlock for a closer, so fsnotify_destroy_mark,
    # and everything calling it up to filp_close() and iput(), "closed" scopes: 10,851 closers on a 6.1-rooted
    # history. The lock now may open: its calls cover nothing, but absorb the unlock.
    files = {
        "include/linux/fsnotify_backend.h": (DATA / "fsnotify_backend_v6.1.170.h").read_bytes(),
        "fs/notify/mark.c": (DATA / "fsnotify_mark_v6.1.170.c").read_bytes(),
        "fs/notify/user.c": b"""\
int add_mark(struct fsnotify_group *group)
{
	fsnotify_group_lock(group);
	m = kmalloc(8, GFP_NOFS);
	fsnotify_destroy_mark(m, group);
	fsnotify_group_unlock(group);
	return 0;
}
""",
    }
    graph, found = judge(files, frozenset())
    assert {name for _path, name in graph.closers} == {"fsnotify_group_unlock"}
    assert {name for _path, name in graph.may_openers} == {"fsnotify_group_lock"}
    assert not graph.openers
    assert [f for f in found if f.kind is Finding.REDUNDANT] == []  # the scope is open for NOFS groups only
