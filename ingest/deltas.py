"""Signed count changes from blob counts. Pure: blob counts in, (path, identifier) -> change out."""

from collections.abc import Iterable, Mapping

from app.registry import ZERO_COUNTS, Counts
from ingest.history import Resolution
from ingest.tree import FileChange

BlobCounts = Mapping[str, Counts]  # identifier -> counts; empty for a blob with none


def _of(counts: Mapping[str, BlobCounts], oid: str | None) -> BlobCounts:
    return counts[oid] if oid is not None else {}


Deltas = dict[tuple[str, str], Counts]


def _add(deltas: Deltas, path: str, identifier: str, change: Counts) -> None:
    total = deltas.get((path, identifier), ZERO_COUNTS) + change
    if total == ZERO_COUNTS:
        deltas.pop((path, identifier), None)
    else:
        deltas[(path, identifier)] = total


def change_deltas(changes: Iterable[FileChange], counts: Mapping[str, BlobCounts]) -> Deltas:
    """After minus before, per file and identifier; only what is not zero."""
    deltas: Deltas = {}
    for change in changes:
        before, after = _of(counts, change.old), _of(counts, change.new)
        for identifier in before.keys() | after.keys():
            now, then = after.get(identifier, ZERO_COUNTS), before.get(identifier, ZERO_COUNTS)
            _add(deltas, change.path, identifier, now - then)
    return deltas


def resolution_deltas(resolutions: Iterable[Resolution], counts: Mapping[str, BlobCounts]) -> Deltas:
    """What each conflict resolution changed beyond first parent + Σ (other parent - merge base)."""
    deltas: Deltas = {}
    for r in resolutions:
        terms: list[tuple[BlobCounts, int]] = [(_of(counts, r.result), 1), (_of(counts, r.first), -1)]
        for side, base in r.sides:
            terms += [(_of(counts, side), -1), (_of(counts, base), 1)]
        for blob, sign in terms:
            for identifier, value in blob.items():
                _add(deltas, r.path, identifier, value if sign > 0 else -value)
    return deltas


def total(deltas: Iterable[Deltas]) -> Deltas:
    """Several commits' changes added up, per file and identifier."""
    result: Deltas = {}
    for one in deltas:
        for (path, identifier), change in one.items():
            _add(result, path, identifier, change)
    return result
