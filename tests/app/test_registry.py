"""Counts: field-by-field arithmetic (a plain tuple would concatenate) and the number a view shows."""

from app.metrics import Count
from app.registry import ZERO_COUNTS, Counts


def test_counts_add_and_subtract_by_kind() -> None:
    a, b = Counts(3, 1, 0, 2), Counts(1, 1, 4, 0)
    assert a + b == Counts(4, 2, 4, 2) and a - b == Counts(2, 0, -4, 2) and -a == Counts(-3, -1, 0, -2)
    assert ZERO_COUNTS + a == a and a - a == ZERO_COUNTS and isinstance(a + b, Counts)


def test_uses_are_code_and_total_is_every_kind() -> None:
    counts = Counts(code=5, comment=2, string=1, definition=1)
    assert (counts.uses, counts.total) == (5, 9)
    assert (Count.USES.of(counts), Count.ALL.of(counts)) == (5, 9)
