"""The change split on kernel-style code: every kind, moves by rename and by function, merges' resolutions,
and the parts adding up to the change in uses whatever the input."""

import hashlib
import random

import pytest

from app.change_rules import ChangeKind, ChangeSplit
from app.registry import NAMES
from ingest.change_kinds import BlobFacts, blob_facts, split_changes, split_resolutions
from ingest.count import Matcher
from ingest.history import Resolution
from ingest.tree import FileChange

MATCHER = Matcher(NAMES)

ALLOC = b"""static int xfs_alloc_thing(struct xfs_mount *mp)
{
\tvoid *p = kmalloc(64, GFP_NOFS);
\tvoid *q = kzalloc(32, GFP_NOFS | __GFP_NOFAIL);
\treturn p && q;
}
"""
ALLOC_CONVERTED = b"""static int xfs_alloc_thing(struct xfs_mount *mp)
{
\tunsigned int nofs = memalloc_nofs_save();
\tvoid *p = kmalloc(64, GFP_KERNEL);
\tvoid *q = kzalloc(32, GFP_KERNEL | __GFP_NOFAIL);
\tmemalloc_nofs_restore(nofs);
\treturn p && q;
}
"""
OTHER = b"""int xfs_other(void)
{
\treturn 0;
}
"""
OTHER_GROWN = b"""int xfs_other(void)
{
\treturn kmalloc(8, GFP_NOFS) != NULL;
}
"""
NEW_FUNCTION = b"""int xfs_new_helper(void)
{
\treturn kmalloc(8, GFP_NOFS) != NULL;
}
"""
MACRO = b"#define XFS_GFP GFP_NOFS\n"


def facts_of(*blobs: bytes) -> dict[str, BlobFacts]:
    return {oid(blob): blob_facts(blob, MATCHER) for blob in blobs}


def oid(blob: bytes) -> str:
    return hashlib.sha1(blob).hexdigest()


def change(path: str, old: bytes | None, new: bytes | None) -> FileChange:
    return FileChange(path, oid(old) if old is not None else None, oid(new) if new is not None else None)


def split(changes: list[FileChange], blobs: list[bytes], renames: dict[str, str] | None = None):
    return split_changes(changes, facts_of(*blobs), renames or {})


def defined_functions(blob: bytes) -> frozenset[str]:
    return blob_facts(blob, MATCHER).functions


def test_defined_functions_follow_the_lexer_rule() -> None:
    assert defined_functions(ALLOC + OTHER + MACRO) == {"xfs_alloc_thing", "xfs_other"}
    assert defined_functions(b"struct a b = {\n\t.x = 1,\n};\n") == frozenset()  # an initializer, not a function
    assert defined_functions(b"\0binary") == frozenset()


def test_a_line_that_now_has_another_flag_is_converted() -> None:
    result = split([change("fs/xfs/a.c", ALLOC, ALLOC_CONVERTED)], [ALLOC, ALLOC_CONVERTED])
    assert result == {
        ("fs/xfs/a.c", "GFP_NOFS"): ChangeSplit(converted=2),
        ("fs/xfs/a.c", "memalloc_nofs_save"): ChangeSplit(added_existing=1),  # the scope it gained
        ("fs/xfs/a.c", "memalloc_nofs_restore"): ChangeSplit(added_existing=1),
    }
    assert result[("fs/xfs/a.c", "GFP_NOFS")].net == -2


def test_a_function_that_went_away_took_its_occurrences_with_it() -> None:
    result = split([change("fs/xfs/a.c", ALLOC + OTHER, OTHER)], [ALLOC + OTHER, OTHER])
    assert result == {("fs/xfs/a.c", "GFP_NOFS"): ChangeSplit(removed_with_code=2)}


def test_a_deleted_file_is_removed_with_its_code_at_file_scope_too() -> None:
    result = split([change("fs/old/a.c", ALLOC + MACRO, None)], [ALLOC + MACRO])
    assert result == {("fs/old/a.c", "GFP_NOFS"): ChangeSplit(removed_with_code=3)}


def test_added_to_existing_code_and_added_in_new_code() -> None:
    before, after = OTHER, OTHER_GROWN + NEW_FUNCTION
    result = split([change("fs/xfs/b.c", before, after), change("fs/xfs/c.c", None, MACRO)], [before, after, MACRO])
    assert result == {
        ("fs/xfs/b.c", "GFP_NOFS"): ChangeSplit(added_existing=1, added_new=1),
        ("fs/xfs/c.c", "GFP_NOFS"): ChangeSplit(added_new=1),
    }


def test_a_renamed_file_moves_what_it_keeps_and_converts_the_rest() -> None:
    old, new = ALLOC + MACRO, ALLOC_CONVERTED + MACRO
    changes = [change("fs/b/y.c", old, None), change("fs/c/y.c", None, new)]
    result = split(changes, [old, new], {"fs/c/y.c": "fs/b/y.c"})
    assert result[("fs/b/y.c", "GFP_NOFS")] == ChangeSplit(moved_out=1, converted=2)
    assert result[("fs/c/y.c", "GFP_NOFS")] == ChangeSplit(moved_in=1)
    assert result[("fs/c/y.c", "memalloc_nofs_save")] == ChangeSplit(added_existing=1)
    # without git's pairing the same change is a deletion and an addition
    unpaired = split(changes, [old, new])
    assert unpaired[("fs/b/y.c", "GFP_NOFS")] == ChangeSplit(removed_with_code=3)
    assert unpaired[("fs/c/y.c", "GFP_NOFS")] == ChangeSplit(added_new=1)


def test_a_function_moved_to_another_file_is_moved() -> None:
    changes = [change("fs/xfs/a.c", ALLOC + OTHER, OTHER), change("fs/xfs/b.c", OTHER_GROWN, OTHER_GROWN + ALLOC)]
    result = split(changes, [ALLOC + OTHER, OTHER, OTHER_GROWN, OTHER_GROWN + ALLOC])
    assert result == {
        ("fs/xfs/a.c", "GFP_NOFS"): ChangeSplit(moved_out=2),
        ("fs/xfs/b.c", "GFP_NOFS"): ChangeSplit(moved_in=2),
    }


def test_a_merge_resolution_is_split_by_the_functions_of_the_result_and_first_parent() -> None:
    first, side, base, result = OTHER, OTHER, OTHER, OTHER_GROWN + NEW_FUNCTION
    facts = facts_of(first, result)
    resolution = Resolution("fs/a/x.c", oid(result), oid(first), ((oid(side), oid(base)),))
    assert split_resolutions([resolution], facts) == {
        ("fs/a/x.c", "GFP_NOFS"): ChangeSplit(added_existing=1, added_new=1)
    }


# fs/xfs/xfs_buf.c, the heads of two functions (trimmed after the allocation masks, closed with "}"): at
# v6.1.170 both pass GFP_NOFS; at v6.12.117 both pass GFP_KERNEL | __GFP_NOLOCKDEP, XFS relying on the NOFS
# scope its transactions open.
XFS_BUF_V6_1 = b"""static int
_xfs_buf_alloc(
	struct xfs_buftarg	*target,
	struct xfs_buf_map	*map,
	int			nmaps,
	xfs_buf_flags_t		flags,
	struct xfs_buf		**bpp)
{
	struct xfs_buf		*bp;
	int			error;
	int			i;

	*bpp = NULL;
	bp = kmem_cache_zalloc(xfs_buf_cache, GFP_NOFS | __GFP_NOFAIL);
}

static int
xfs_buf_alloc_pages(
	struct xfs_buf	*bp,
	xfs_buf_flags_t	flags)
{
	gfp_t		gfp_mask = __GFP_NOWARN;
	long		filled = 0;

	if (flags & XBF_READ_AHEAD)
		gfp_mask |= __GFP_NORETRY;
	else
		gfp_mask |= GFP_NOFS;
}
"""
XFS_BUF_V6_12 = b"""static int
_xfs_buf_alloc(
	struct xfs_buftarg	*target,
	struct xfs_buf_map	*map,
	int			nmaps,
	xfs_buf_flags_t		flags,
	struct xfs_buf		**bpp)
{
	struct xfs_buf		*bp;
	int			error;
	int			i;

	*bpp = NULL;
	bp = kmem_cache_zalloc(xfs_buf_cache,
			GFP_KERNEL | __GFP_NOLOCKDEP | __GFP_NOFAIL);
}

static int
xfs_buf_alloc_pages(
	struct xfs_buf	*bp,
	xfs_buf_flags_t	flags)
{
	gfp_t		gfp_mask = GFP_KERNEL | __GFP_NOLOCKDEP | __GFP_NOWARN;
	long		filled = 0;

	if (flags & XBF_READ_AHEAD)
		gfp_mask |= __GFP_NORETRY;
}
"""


def test_xfs_buf_dropping_gfp_nofs_for_its_transaction_scope_is_two_conversions() -> None:
    """fs/xfs/xfs_buf.c, v6.1.170 -> v6.12.117: both functions stay, neither passes GFP_NOFS any more."""
    assert defined_functions(XFS_BUF_V6_12) == {"_xfs_buf_alloc", "xfs_buf_alloc_pages"}
    result = split([change("fs/xfs/xfs_buf.c", XFS_BUF_V6_1, XFS_BUF_V6_12)], [XFS_BUF_V6_1, XFS_BUF_V6_12])
    assert result[("fs/xfs/xfs_buf.c", "GFP_NOFS")] == ChangeSplit(converted=2)
    assert result[("fs/xfs/xfs_buf.c", "__GFP_NOLOCKDEP")] == ChangeSplit(added_existing=2)
    # had the file gone with xfs, the same drop would be no conversion at all
    gone = split([change("fs/xfs/xfs_buf.c", XFS_BUF_V6_1, None)], [XFS_BUF_V6_1])
    assert gone[("fs/xfs/xfs_buf.c", "GFP_NOFS")] == ChangeSplit(removed_with_code=2)


FUNCTIONS = [ALLOC, ALLOC_CONVERTED, OTHER, OTHER_GROWN, NEW_FUNCTION, MACRO]


@pytest.mark.parametrize("seed", range(40))
def test_the_parts_add_up_to_the_change_in_uses(seed: int) -> None:
    """Random files made of kernel-style functions, deleted, added, changed and renamed at random."""
    rng = random.Random(seed)

    def some_file() -> bytes:
        return b"".join(rng.sample(FUNCTIONS, rng.randint(1, 4)))

    blobs: list[bytes] = []
    changes = []
    for number in range(rng.randint(1, 6)):
        old = some_file() if rng.random() < 0.8 else None
        new = some_file() if rng.random() < 0.8 or old is None else None
        if old == new:
            continue
        blobs += [b for b in (old, new) if b is not None]
        changes.append(change(f"fs/f{number}.c", old, new))
    deleted = [c.path for c in changes if c.new is None]
    added = [c.path for c in changes if c.old is None]
    renames = dict(zip(added, deleted, strict=False))
    result = split(changes, blobs, renames)
    facts = facts_of(*blobs)
    for c in changes:
        for name in NAMES:
            before = sum(facts[c.old].counts.get(name, {}).values()) if c.old else 0
            after = sum(facts[c.new].counts.get(name, {}).values()) if c.new else 0
            assert result.get((c.path, name), ChangeSplit()).net == after - before, (c.path, name)
    assert all(min(parts) >= 0 for parts in result.values())
    moved_out = sum(s.moved_out for s in result.values())
    assert moved_out == sum(s.moved_in for s in result.values())  # a move has two ends


def test_every_kind_has_a_label_and_a_rule() -> None:
    from app.change_rules import CHANGE_RULE_TEXT, LABELS

    for kind in ChangeKind:
        assert LABELS[kind] in CHANGE_RULE_TEXT
    assert list(ChangeSplit._fields) == [kind.value for kind in ChangeKind]


def test_rename_candidates_take_the_other_end_even_when_it_holds_no_tracked_name() -> None:
    from ingest.change_kinds import rename_candidates

    changes = [
        FileChange("fs/cifs/misc.c", "a" * 40, None),  # no GFP_NOFS: its counts did not change
        FileChange("fs/smb/client/misc.c", None, "b" * 40),  # gained two
        FileChange("fs/smb/client/other.c", "c" * 40, "d" * 40),
    ]
    assert rename_candidates(changes, {"fs/smb/client/misc.c"}) == ["fs/cifs/misc.c", "fs/smb/client/misc.c"]
    assert rename_candidates(changes, {"fs/smb/client/other.c"}) == []  # nothing relevant was deleted or added
    assert rename_candidates(changes[1:], {"fs/smb/client/misc.c"}) == []  # nothing deleted to pair with


@pytest.mark.parametrize("blob", [ALLOC + OTHER + MACRO, XFS_BUF_V6_1, XFS_BUF_V6_12, OTHER_GROWN + NEW_FUNCTION])
def test_the_facts_agree_with_the_lexers_occurrences_and_functions(blob: bytes) -> None:
    """The one pass counts per function what a scan counts."""
    facts = blob_facts(blob, MATCHER)
    expected: dict[str, dict[str | None, int]] = {}
    for o in MATCHER.scan(blob).occurrences:
        if o.kind == "code":
            expected.setdefault(o.identifier, {}).setdefault(o.function, 0)
            expected[o.identifier][o.function] += 1
    assert facts.counts == expected


@pytest.mark.parametrize("seed", range(40))
def test_functions_read_only_where_needed_give_the_same_split(seed: int) -> None:
    """The ingest reads occurrences first (from the scan or the database) and the functions of a blob only
    when needs_functions says the split may ask: the split is the one full facts give."""
    from ingest.change_kinds import facts_from, needs_functions

    rng = random.Random(seed)
    functions = [ALLOC, ALLOC_CONVERTED, OTHER, OTHER_GROWN, NEW_FUNCTION, MACRO, XFS_BUF_V6_1, XFS_BUF_V6_12]
    blobs, changes = [], []
    for number in range(rng.randint(1, 6)):
        old = b"".join(rng.sample(functions, rng.randint(1, 4))) if rng.random() < 0.8 else None
        new = b"".join(rng.sample(functions, rng.randint(1, 4))) if rng.random() < 0.8 or old is None else None
        if old != new:
            blobs += [b for b in (old, new) if b is not None]
            changes.append(change(f"fs/f{number}.c", old, new))
    added, deleted = [c.path for c in changes if c.old is None], [c.path for c in changes if c.new is None]
    renames = dict(zip(added, deleted, strict=False))
    full = facts_of(*blobs)
    lazy = {oid(b): facts_from(MATCHER.scan(b).occurrences) for b in blobs}
    by_path = {c.path: c for c in changes}
    pairs = [(c.old, c.new) for c in changes] + [(by_path[o].old, by_path[n].new) for n, o in renames.items()]
    for needed in needs_functions(pairs, lazy):
        lazy[needed] = full[needed]
    assert split_changes(changes, lazy, renames) == split_changes(changes, full, renames)
