"""What moved between two releases: the files and subsystems whose value differs, and fs/ filesystem by
filesystem against a release some way back (the slides' table)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from app.cache import cached
from app.metrics import Count, Metric
from app.models import Path, PathCount
from app.queries import sql
from app.queries.counts import Place, child_name_and_type, children_counts, places_of, subsystem_counts
from app.queries.releases import ReleaseRef, upto
from app.registry import ZERO_COUNTS, Counts

FILESYSTEMS = "fs"  # each directory right below it is one filesystem (fs/btrfs, fs/xfs); its own files are the VFS
DEFAULT_BACK = 5  # releases back a filesystem table compares with, unless asked


@dataclass(frozen=True)
class FilesystemTable:
    """fs/ filesystem by filesystem, at a release and `back` releases before it on its axis (`since`): each
    Place's `then` is its count at `since`. The files right in fs/ (namei.c, …: the VFS) are one row apart."""

    release: ReleaseRef
    since: ReleaseRef
    back: int
    filesystems: tuple[Place, ...]  # most left now first; those with nothing at either release are left out
    vfs: Place

    @property
    def whole(self) -> Place:
        """All of fs/: the filesystems and the VFS's files added up."""
        return _sum_of(f"{FILESYSTEMS}/", "dir", (*self.filesystems, self.vfs), self.vfs.count)

    def top(self, shown: int) -> tuple[tuple[Place, ...], Place | None]:
        """The first `shown` filesystems, and the others added up into one row (None when there are none)."""
        rest = self.filesystems[shown:]
        others = _sum_of(f"the other {len(rest)} filesystems", "dir", rest, self.vfs.count) if rest else None
        return self.filesystems[:shown], others


def _sum_of(name: str, type: str, places: Sequence[Place], count: Count) -> Place:
    now, then = sum((p.now for p in places), ZERO_COUNTS), sum((p.then for p in places), ZERO_COUNTS)
    return Place(name, type, now, then, count)


def filesystem_table(session: Session, release: ReleaseRef, back: int, metric: Metric, count: Count) -> FilesystemTable:
    """What presenters tabulate by hand: per filesystem, what is left now and `back` releases ago (fewer
    when the axis is shorter), and the change."""
    axis = upto(session, release)
    back = max(0, min(back, len(axis) - 1))
    since = axis[-1 - back]
    now = children_counts(session, release, FILESYSTEMS, metric)
    then = children_counts(session, since, FILESYSTEMS, metric)
    places = places_of(child_name_and_type, now, then, count)
    dirs = tuple(p for p in places if p.type == "dir" and (p.value or p.previous))
    vfs = _sum_of(f"{FILESYSTEMS}/*.c, *.h (the VFS)", "file", [p for p in places if p.type == "file"], count)
    return FilesystemTable(release, since, back, dirs, vfs)


@cached
def file_changes(
    session: Session, older: ReleaseRef, newer: ReleaseRef, metric: Metric, count: Count
) -> tuple[Place, ...]:
    """Files whose value differs between two releases, largest change first. The database compares the
    two releases and returns only the files that moved: a few dozen of a kernel's 8,000 with GFP_NOFS."""
    return tuple(_file_places(count, sql.core(session, _moved_files(older, newer, metric, count)).all()))


@dataclass(frozen=True)
class TopFileChanges:
    moved: int  # files whose value differs
    places: tuple[Place, ...]  # the first of file_changes


@cached
def top_file_changes(
    session: Session, older: ReleaseRef, newer: ReleaseRef, metric: Metric, count: Count, limit: int
) -> TopFileChanges:
    """The first `limit` of file_changes and how many there are: a comparison over a hundred releases moves
    thousands of files, and a page lists a few."""
    query = _moved_files(older, newer, metric, count)
    rows = sql.core(session, query.add_columns(func.count().over()).limit(limit)).all()
    return TopFileChanges(rows[0][-1] if rows else 0, tuple(_file_places(count, [row[:-1] for row in rows])))


def _moved_files(older: ReleaseRef, newer: ReleaseRef, metric: Metric, count: Count) -> Select:
    """(path, the four kinds at newer, at older) of the files whose value differs, largest change first."""
    c = PathCount
    at_newer, at_older = [_at(c, newer, k) for k in Counts._fields], [_at(c, older, k) for k in Counts._fields]
    change = sql.count_of(at_newer, count) - sql.count_of(at_older, count)
    moved = (
        select(c.path_id, func.abs(change).label("size"), *at_newer, *at_older)
        .where(c.release_id.in_([older.id, newer.id]), c.identifier.in_(metric.identifiers))
        .group_by(c.path_id)
        .having(change != 0)
        .subquery()
    )
    return (
        select(Path.path, *list(moved.c)[2:])
        .join(moved, moved.c.path_id == Path.id)
        .where(Path.is_dir.is_(False))
        .order_by(moved.c.size.desc(), Path.path)
    )


def _file_places(count: Count, rows: Sequence[Any]) -> list[Place]:
    return [Place(path, "file", sql.kinds(kinds[:4]), sql.kinds(kinds[4:]), count) for path, *kinds in rows]


def _at(model: type[PathCount], release: ReleaseRef, kind: str) -> ColumnElement[int]:
    """One kind's sum over the rows of one release, in a query that reads two."""
    return func.sum(case((model.release_id == release.id, getattr(model, kind)), else_=0))


def subsystem_changes(
    session: Session, older: ReleaseRef, newer: ReleaseRef, metric: Metric, count: Count
) -> tuple[Place, ...]:
    """Subsystems whose value differs between two releases, largest change first."""
    now, then = subsystem_counts(session, newer, metric), subsystem_counts(session, older, metric)
    return _changed(lambda name: (name, "subsystem"), now, then, count)


def _changed(
    type_of: Callable[[Any], tuple[str, str]], now: dict[Any, Counts], then: dict[Any, Counts], count: Count
) -> tuple[Place, ...]:
    changed = [p for p in places_of(type_of, now, then, count) if p.change]
    return tuple(sorted(changed, key=lambda p: (-abs(p.change), p.name)))
