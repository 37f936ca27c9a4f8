from app.registry import Counts
from ingest.deltas import change_deltas, resolution_deltas, total
from ingest.history import Resolution
from ingest.tree import FileChange

COUNTS = {
    "a": {"GFP_NOFS": Counts(3, 1, 0, 0)},
    "b": {"GFP_NOFS": Counts(1, 1, 0, 0), "memalloc_nofs_save": Counts(2, 0, 0, 0)},
    "c": {},
    "d": {"GFP_NOFS": Counts(2, 0, 0, 0)},
}


def test_change_is_after_minus_before_and_zeros_are_left_out() -> None:
    deltas = change_deltas([FileChange("x.c", "a", "b"), FileChange("y.c", None, "c")], COUNTS)
    assert deltas == {("x.c", "GFP_NOFS"): Counts(-2, 0, 0, 0), ("x.c", "memalloc_nofs_save"): Counts(2, 0, 0, 0)}


def test_added_and_deleted_files() -> None:
    assert change_deltas([FileChange("n.c", None, "a"), FileChange("g.c", "d", None)], COUNTS) == {
        ("n.c", "GFP_NOFS"): Counts(3, 1, 0, 0),
        ("g.c", "GFP_NOFS"): Counts(-2, 0, 0, 0),
    }


def test_a_resolution_is_what_a_clean_merge_would_not_give() -> None:
    # first parent kept a (3 code), the other side went base a -> d (-1), so a clean merge gives 2 code;
    # the result b has 1 code and 1 comment: the resolution removed one use, wrote one comment and two scopes.
    deltas = resolution_deltas([Resolution("x.c", "b", "a", (("d", "a"),))], COUNTS)
    assert deltas == {("x.c", "GFP_NOFS"): Counts(-1, 1, 0, 0), ("x.c", "memalloc_nofs_save"): Counts(2, 0, 0, 0)}


def test_a_resolution_matching_the_clean_merge_is_nothing() -> None:
    assert resolution_deltas([Resolution("x.c", "d", "a", (("d", "a"),))], COUNTS) == {}


def test_total_adds_up_and_cancels() -> None:
    one = {("x.c", "GFP_NOFS"): Counts(-2, 0, 0, 0)}
    two = {("x.c", "GFP_NOFS"): Counts(2, 0, 0, 0), ("y.c", "GFP_NOFS"): Counts(1, 0, 0, 0)}
    assert total([one, two]) == {("y.c", "GFP_NOFS"): Counts(1, 0, 0, 0)}
