"""Occurrences one by one: every tracked occurrence in a file at a release, with its context, and the
occurrences added and removed between two releases, file by file."""

from collections import Counter
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import CTE, Select, case, func, select
from sqlalchemy.orm import Session

from app.cache import cached
from app.metrics import Metric
from app.models import Occurrence, Path, ReleaseFile
from app.queries import sql
from app.queries.releases import ReleaseRef


@dataclass(frozen=True)
class OccurrenceRow:
    line: int
    col: int
    identifier: str
    kind: str
    function: str | None
    text: str
    # the context (app/context_rules.py), for code occurrences; None for the other kinds, or not yet classified
    role: str | None = None
    callee: str | None = None
    argument: int | None = None  # 0-based
    flags: str | None = None  # the other GFP flags of its operand, sorted, space-separated
    negated: bool | None = None  # under a ~

    @property
    def flag_names(self) -> tuple[str, ...]:
        return tuple(self.flags.split()) if self.flags else ()


@dataclass(frozen=True)
class OccurrenceChange:
    path: str
    identifier: str
    kind: str
    function: str | None
    text: str
    line: int
    added: bool


def in_file(
    session: Session, release: ReleaseRef, path: str, callee: str | None = None, flag: str | None = None
) -> tuple[OccurrenceRow, ...]:
    """Every tracked occurrence in a file at a release, in source order; with `callee` or `flag`, only the
    code occurrences that are an argument of that callee, or combined with that flag."""
    rows = _file_occurrences(session, release, path)
    if callee is not None:
        rows = tuple(r for r in rows if r.callee == callee)
    if flag is not None:
        rows = tuple(r for r in rows if flag in r.flag_names)
    return rows


@cached
def _file_occurrences(session: Session, release: ReleaseRef, path: str) -> tuple[OccurrenceRow, ...]:
    o = Occurrence
    query = (
        select(
            o.line, o.col, o.identifier, o.kind, o.function, o.text, o.role, o.callee, o.argument, o.flags, o.negated
        )
        .join(ReleaseFile, ReleaseFile.blob_id == o.blob_id)
        .join(Path, Path.id == ReleaseFile.path_id)
        .where(ReleaseFile.release_id == release.id, Path.path == path)
        .order_by(o.line, o.col)
    )
    return tuple(OccurrenceRow(*row) for row in sql.core(session, query))


SAME_LINE_BLANKS = " \t"  # trimmed off a line's text before two occurrences' lines are compared


def _changed_blobs(older: ReleaseRef, newer: ReleaseRef, path: str | None = None) -> CTE:
    """The files whose blob differs between the releases (a few thousand of a kernel's release_files): path_id,
    old_blob, new_blob (NULL where the file is not held, or holds no tracked identifier)."""
    rf = ReleaseFile
    old_blob = func.max(case((rf.release_id == older.id, rf.blob_id))).label("old_blob")
    new_blob = func.max(case((rf.release_id == newer.id, rf.blob_id))).label("new_blob")
    query = select(rf.path_id, old_blob, new_blob).where(rf.release_id.in_([older.id, newer.id]))
    if path is not None:
        query = query.join(Path, Path.id == rf.path_id).where(Path.path == path)
    return query.group_by(rf.path_id).having(old_blob.is_distinct_from(new_blob)).cte("changed")


def _changed_occurrences(changed: CTE, metric: Metric) -> Select:
    """The metric's occurrences in either blob of the changed files (a file whose blobs hold none has no row)."""
    o = Occurrence
    return (
        select(Path.path)
        .select_from(changed)
        .join(Path, Path.id == changed.c.path_id)
        .join(o, ((o.blob_id == changed.c.old_blob) | (o.blob_id == changed.c.new_blob)))
        .where(o.identifier.in_(metric.identifiers))
    )


@cached
def occurrence_changes(
    session: Session, older: ReleaseRef, newer: ReleaseRef, metric: Metric, path: str | None = None
) -> tuple[OccurrenceChange, ...]:
    """Occurrences of the metric added and removed between two releases, file by file (with `path`, in that
    file only).

    Within a file, an occurrence is the same one in both releases when its identifier, kind, function
    and source line (blanks and tabs around it aside) are the same; a moved line is therefore neither added
    nor removed.
    """
    o = Occurrence
    changed = _changed_blobs(older, newer, path)
    query = (
        _changed_occurrences(changed, metric)
        .add_columns(o.blob_id == changed.c.new_blob, o.line, o.identifier, o.kind, o.function, o.text)
        .order_by(Path.path, o.line, o.col)
    )
    result: list[OccurrenceChange] = []
    for file, rows in groupby(sql.core(session, query).all(), key=itemgetter(0)):
        old: list[Any] = []
        new: list[Any] = []
        for row in rows:
            (new if row[1] else old).append(row)
        result += _unmatched(file, new, old, added=True) + _unmatched(file, old, new, added=False)
    return tuple(result)


@dataclass(frozen=True)
class FileOccurrenceChanges:
    path: str
    added: int
    removed: int


@cached
def occurrence_change_summary(
    session: Session, older: ReleaseRef, newer: ReleaseRef, metric: Metric
) -> tuple[FileOccurrenceChanges, ...]:
    """How many occurrences each file gained and lost (occurrence_changes counted file by file), the files
    with the most first. The database counts them: an occurrence is added as often as its line is in the
    newer blob more often than in the older one, which is what occurrence_changes' matching leaves."""
    o = Occurrence
    changed = _changed_blobs(older, newer)
    newer_side = case((o.blob_id == changed.c.new_blob, 1), else_=0)
    line = func.trim(o.text, SAME_LINE_BLANKS)
    same = (
        _changed_occurrences(changed, metric)
        .add_columns(func.sum(newer_side).label("new"), func.sum(1 - newer_side).label("old"))
        .group_by(Path.path, o.identifier, o.kind, o.function, line)
        .subquery()
    )
    added = func.sum(case((same.c.new > same.c.old, same.c.new - same.c.old), else_=0))
    removed = func.sum(case((same.c.old > same.c.new, same.c.old - same.c.new), else_=0))
    query = (
        select(same.c.path, added, removed)
        .group_by(same.c.path)
        .having(added + removed > 0)
        .order_by((added + removed).desc(), same.c.path)
    )
    # PostgreSQL's sum of sums is numeric
    return tuple(FileOccurrenceChanges(path, int(add), int(rem)) for path, add, rem in sql.core(session, query).all())


def _unmatched(path: str, these: list[Any], others: list[Any], added: bool) -> list[OccurrenceChange]:
    """The occurrences among `these` with no counterpart (same identifier, kind, function and text) in
    `others`; rows are (path, newer, line, identifier, kind, function, text)."""
    if not others:
        return [OccurrenceChange(path, r[3], r[4], r[5], r[6], r[2], added) for r in these]
    available = Counter((r[3], r[4], r[5], r[6].strip(SAME_LINE_BLANKS)) for r in others)
    unmatched = []
    for _, _, line, identifier, kind, function, text in these:
        key = (identifier, kind, function, text.strip(SAME_LINE_BLANKS))
        if available[key] > 0:
            available[key] -= 1
        else:
            unmatched.append(OccurrenceChange(path, identifier, kind, function, text, line, added))
    return unmatched
