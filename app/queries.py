"""Read-side queries shared by reports, pages and the API. Plain dataclasses out; no writes."""

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import CTE, ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from app import lines
from app.cache import cached
from app.errors import NotFound
from app.metrics import METRICS, Count, Metric
from app.models import Occurrence, Path, PathCount, Release, ReleaseFile, Section, Subsystem, SubsystemCount
from app.registry import BY_NAME, ZERO_COUNTS, Counts, Kind

PROJECTION_WINDOW = 5  # releases whose pace a burn-down projection follows
NAMED_LOOKUP = 50  # subsystems looked up by id; for more, one scan of the metric's rows is quicker


@dataclass(frozen=True)
class ReleaseInfo:
    tag: str
    commit_id: str
    commit_date: datetime


@dataclass(frozen=True)
class CountRow:
    """Occurrences of one identifier in one place, by kind. `uses` is the headline number."""

    name: str
    type: str  # "dir", "file", "subsystem", or "total" for the whole scope
    identifier: str
    counts: Counts

    @property
    def uses(self) -> int:
        return self.counts.uses

    @property
    def total(self) -> int:
        return self.counts.total


@dataclass(frozen=True)
class Report:
    release: ReleaseInfo
    scope: str  # a path ('' is the whole tree) or "subsystems"
    metric: str | None
    rows: list[CountRow] = field(default_factory=list)
    totals: list[CountRow] = field(default_factory=list)


def _core(session: Session, query: Select) -> Any:
    """Rows of a select of plain columns, without the ORM's result processing (a third of the time of a
    100,000-row aggregate); iterate over `.all()` for many rows (one fetch, not one a row)."""
    return session.connection().execute(query)


def _release_info(release: "ReleaseRef") -> ReleaseInfo:
    return ReleaseInfo(release.tag, release.commit_id, release.commit_date)


def list_releases(session: Session) -> list[ReleaseInfo]:
    return [_release_info(r) for r in releases(session)]


def _asked(metric: str | None) -> tuple[Metric, ...]:
    """The identifiers a report is about, each as its own metric: one, or every tracked one."""
    if metric is None:
        return tuple(METRICS[name] for name in BY_NAME)
    if metric not in BY_NAME:
        raise NotFound(f"{metric!r} is not a tracked identifier (known: {', '.join(BY_NAME)})")
    return (METRICS[metric],)


def under(path: str) -> ColumnElement[bool]:
    """A stored path that is `path` itself or lies below it (a directory with all below it, or a file)."""
    return (Path.path == path) | (func.substr(Path.path, 1, len(path) + 1) == path + "/")


def normalize_path(path: str) -> str:
    return "/".join(part for part in path.strip().split("/") if part not in ("", "."))


def path_report(session: Session, tag: str | None, path: str, metric: str | None = None) -> Report:
    """Counts for each child of `path` (a directory, or a file) and for `path` as a whole, per identifier:
    the questions the tree page and /api/v1/tree answer, asked once for each identifier."""
    asked = _asked(metric)
    release = release_ref(session, tag)
    path = normalize_path(path)
    rows = [
        CountRow(name, "dir" if is_dir else "file", m.key, counts)
        for m in asked
        for (name, is_dir), counts in children_counts(session, release, path, m).items()
    ]
    return Report(_release_info(release), path, metric, _ordered(rows), _totals(session, release, path, asked))


def subsystem_report(session: Session, tag: str | None, metric: str | None = None) -> Report:
    """Counts for each MAINTAINERS subsystem with occurrences, and for the whole tree, per identifier."""
    asked = _asked(metric)
    release = release_ref(session, tag)
    rows = [
        CountRow(name, "subsystem", m.key, counts)
        for m in asked
        for name, counts in subsystem_counts(session, release, m).items()
    ]
    return Report(_release_info(release), "subsystems", metric, _ordered(rows), _totals(session, release, "", asked))


def _totals(session: Session, release: "ReleaseRef", path: str, asked: tuple[Metric, ...]) -> list[CountRow]:
    """The place as a whole, a row for every identifier asked about: none found is an answer, a row of zeros."""
    return _ordered([CountRow(path, "total", m.key, place_counts(session, release, path, m)) for m in asked])


def _ordered(rows: list[CountRow]) -> list[CountRow]:
    """Most uses first; ties by name and identifier, so the order is stable for scripts."""
    return sorted(rows, key=lambda r: (-r.uses, -r.total, r.name, r.identifier))


# ---- dashboard: series over releases, tables at one release, changes between two ----------------------


@dataclass(frozen=True)
class ReleaseRef:
    id: int
    tag: str
    commit_id: str
    commit_date: datetime
    line: str  # app.lines.Line
    series: str

    @property
    def provisional(self) -> bool:
        """A moving ref (a for-next branch, the newest next- tag): replaced when it moves."""
        return self.line == lines.Line.REF

    @property
    def label(self) -> str:
        return f"{self.tag} (provisional)" if self.provisional else self.tag


@dataclass(frozen=True)
class Place:
    """A directory, file or subsystem with one metric's counts at a release (`now`) and at the release it
    is compared with (`then`); `value` and `previous` are the number the reader asked for (`count`)."""

    name: str
    type: str
    now: Counts
    then: Counts
    count: Count
    series: tuple[int, ...] = ()

    @property
    def value(self) -> int:
        return self.count.of(self.now)

    @property
    def previous(self) -> int:
        return self.count.of(self.then)

    @property
    def change(self) -> int:
        return self.value - self.previous


def _places(
    type_of: Callable[[Any], tuple[str, str]], now: dict[Any, Counts], then: dict[Any, Counts], count: Count
) -> list[Place]:
    """Every key of either release as a Place, biggest value first; `type_of` names a key and its type."""
    places = [Place(*type_of(key), now.get(key, ZERO_COUNTS), then.get(key, ZERO_COUNTS), count) for key in now | then]
    return sorted(places, key=lambda p: (-p.value, -p.previous, p.name))


@dataclass(frozen=True)
class Projection:
    """Where a series reaches zero at the pace of its last `window` releases; None when it is not falling."""

    pace: float  # change per release
    window: int
    releases_to_zero: int | None


@dataclass(frozen=True)
class SubsystemInfo:
    name: str
    status: str | None
    maintainers: tuple[str, ...]
    reviewers: tuple[str, ...]
    lists: tuple[str, ...]
    patterns: tuple[tuple[str, tuple[str, ...]], ...]


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


def count_of(kinds: Sequence[ColumnElement[int]], count: Count) -> ColumnElement[int]:
    """Count.of's rule in SQL: the number a view shows, from the four kind columns (or their sums) in Kind's
    order; uses are the code column, all is their sum."""
    return count.of(Counts(*kinds))  # type: ignore[arg-type]  # columns where Counts holds ints


def value_column(model: Any, count: Count) -> ColumnElement[int]:
    """One stored row's number (path, subsystem or commit counts: each has the four kind columns)."""
    return count_of([model.code, model.comment, model.string, model.definition], count)


@cached
def releases(session: Session) -> tuple[ReleaseRef, ...]:
    """Every release in version order, whatever its line: the selector's list, and the order every
    `*_series` function's values follow."""
    r = Release
    rows = session.execute(
        select(r.id, r.tag, r.commit_id, r.commit_date, r.line, r.series).order_by(r.sort_key, r.tag)
    )
    return tuple(ReleaseRef(*row) for row in rows)


@cached
def timeline(session: Session, release: ReleaseRef) -> tuple[ReleaseRef, ...]:
    """The axis a release is a point on (app/lines.py): mainline, or its own stable series."""
    return lines.timeline(releases(session), release)


@cached
def release_groups(session: Session) -> list[tuple[str, tuple[ReleaseRef, ...]]]:
    """Releases by line, newest first: the selector's and the release list's groups."""
    return lines.groups(releases(session))


def axis_label(session: Session, release: ReleaseRef) -> str:
    """What a chart's x axis holds (app/lines.py's rule), said under every chart."""
    if release.provisional:
        return f"releases, then {release.tag}: a moving ref, provisional, replaced when it moves"
    if not any(r.line == lines.Line.MAINLINE for r in releases(session)):
        return "every ingested release in version order (no mainline release is ingested)"
    if release.line == lines.Line.STABLE:
        return f"the {release.series} stable series ({release.series} and its stable releases)"
    return "mainline releases (with the newest cycle's release candidates, when ingested)"


def upto(session: Session, release: ReleaseRef) -> tuple[ReleaseRef, ...]:
    """The release's timeline up to and including it: the x axis of its charts."""
    line = timeline(session, release)
    return line[: line.index(release) + 1]


T = TypeVar("T")


def along(session: Session, values: Sequence[T], axis: Sequence[ReleaseRef]) -> tuple[T, ...]:
    """Values given for every release in version order, picked at the releases of `axis`."""
    position = _positions(session)
    return tuple(values[position[r.id]] for r in axis)


@cached
def _positions(session: Session) -> dict[int, int]:
    return {release.id: index for index, release in enumerate(releases(session))}


def release_ref(session: Session, tag: str | None) -> ReleaseRef:
    """The release with this tag, or the newest; NotFound when there is none."""
    known = releases(session)
    if not known:
        raise NotFound("no release ingested yet")
    if tag is None:
        return known[-1]
    for release in known:
        if release.tag == tag:
            return release
    raise NotFound(f"no release {tag!r} in the database")


def previous_release(session: Session, release: ReleaseRef) -> ReleaseRef | None:
    """The release before it on its line: what "since the previous release" means everywhere."""
    return _predecessors(session)[release.id]


@cached
def _predecessors(session: Session) -> dict[int, ReleaseRef | None]:
    known = releases(session)
    return {release.id: before for release, before in zip(known, lines.predecessors(known), strict=True)}


@cached
def path_id(session: Session, path: str) -> tuple[int, bool] | None:
    row = session.execute(select(Path.id, Path.is_dir).where(Path.path == path)).one_or_none()
    return (row[0], row[1]) if row else None


def path_series(session: Session, path: str, metric: Metric, count: Count) -> tuple[int, ...]:
    """The metric's value for a path (a directory with all below it, or a file) at every release, in order."""
    return tuple(count.of(kinds) for kinds in path_counts_series(session, path, metric))


def subsystem_series(session: Session, name: str, metric: Metric, count: Count) -> tuple[int, ...]:
    """The metric's value for a subsystem at every release, in order."""
    return tuple(count.of(kinds) for kinds in subsystem_counts_series(session, name, metric))


@cached
def _subsystem_names(session: Session) -> dict[int, str]:
    return dict(_core(session, select(Subsystem.id, Subsystem.name)).all())


@cached
def subsystem_matrix(
    session: Session, metric: Metric, count: Count, names: frozenset[str] | None = None
) -> dict[str, tuple[int, ...]]:
    """Each subsystem (of `names`, or every one) that ever had an occurrence of the metric: its value at
    every release, in order. Rows are read by subsystem id and added up here: joining the names and
    grouping in SQL took seven times as long on a hundred kernel releases."""
    c = SubsystemCount
    query = select(c.subsystem_id, c.release_id, value_column(c, count)).where(c.identifier.in_(metric.identifiers))
    name_of = _subsystem_names(session)
    if names is not None and len(names) <= NAMED_LOOKUP:
        query = query.where(c.subsystem_id.in_(sorted(i for i, name in name_of.items() if name in names)))
    index = _positions(session)
    matrix: dict[str, list[int]] = {}
    for subsystem_id, release_id, amount in _core(session, query).all():
        name = name_of[subsystem_id]
        if names is not None and name not in names:
            continue
        if name not in matrix:
            matrix[name] = [0] * len(index)
        matrix[name][index[release_id]] += amount
    return {name: tuple(values) for name, values in matrix.items()}


def value_and_previous(session: Session, series: tuple[int, ...], release: ReleaseRef) -> tuple[int, int]:
    """The value at a release and at its previous release (0 when it has none)."""
    position = _positions(session)
    before = previous_release(session, release)
    return series[position[release.id]], series[position[before.id]] if before else 0


def subsystem_places(
    session: Session, release: ReleaseRef, metric: Metric, count: Count, with_series: int | None = None
) -> list[Place]:
    """Subsystems with a value at this release or the one before, biggest first; the first `with_series`
    of them (every one by default) with their series along the release's axis. Only those series are
    read: a kernel's MAINTAINERS names over a thousand subsystems over a hundred releases."""
    before = previous_release(session, release)
    then = subsystem_counts(session, before, metric) if before else {}
    every = _places(lambda name: (name, "subsystem"), subsystem_counts(session, release, metric), then, count)
    places = [p for p in every if p.value or p.previous]
    charted = frozenset(p.name for p in (places if with_series is None else places[:with_series]))
    matrix = subsystem_matrix(session, metric, count, charted)
    axis = upto(session, release)
    return [replace(p, series=along(session, matrix[p.name], axis)) if p.name in matrix else p for p in places]


def _child(key: tuple[str, bool]) -> tuple[str, str]:
    """A (path, is_dir) key of children_counts as a Place's name and type."""
    return key[0], "dir" if key[1] else "file"


def children_places(session: Session, release: ReleaseRef, path: str, metric: Metric, count: Count) -> list[Place]:
    """The directories and files right below `path` with an occurrence here or at the previous release."""
    before = previous_release(session, release)
    now = children_counts(session, release, path, metric)
    then = children_counts(session, before, path, metric) if before else {}
    return _places(_child, now, then, count)


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
    places = _places(_child, now, then, count)
    dirs = tuple(p for p in places if p.type == "dir" and (p.value or p.previous))
    vfs = _sum_of(f"{FILESYSTEMS}/*.c, *.h (the VFS)", "file", [p for p in places if p.type == "file"], count)
    return FilesystemTable(release, since, back, dirs, vfs)


@cached
def file_changes(
    session: Session, older: ReleaseRef, newer: ReleaseRef, metric: Metric, count: Count
) -> tuple[Place, ...]:
    """Files whose value differs between two releases, largest change first. The database compares the
    two releases and returns only the files that moved: a few dozen of a kernel's 8,000 with GFP_NOFS."""
    return tuple(_file_places(count, _core(session, _moved_files(older, newer, metric, count)).all()))


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
    rows = _core(session, query.add_columns(func.count().over()).limit(limit)).all()
    return TopFileChanges(rows[0][-1] if rows else 0, tuple(_file_places(count, [row[:-1] for row in rows])))


def _moved_files(older: ReleaseRef, newer: ReleaseRef, metric: Metric, count: Count) -> Select:
    """(path, the four kinds at newer, at older) of the files whose value differs, largest change first."""
    c = PathCount
    at_newer, at_older = [_at(c, newer, k) for k in Counts._fields], [_at(c, older, k) for k in Counts._fields]
    change = count_of(at_newer, count) - count_of(at_older, count)
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
    return [Place(path, "file", _kinds(kinds[:4]), _kinds(kinds[4:]), count) for path, *kinds in rows]


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
    changed = [p for p in _places(type_of, now, then, count) if p.change]
    return tuple(sorted(changed, key=lambda p: (-abs(p.change), p.name)))


def project(series: tuple[int, ...], window: int = PROJECTION_WINDOW) -> Projection:
    """Straight-line pace over the last `window` releases (fewer when fewer exist)."""
    window = min(window, len(series) - 1)
    if window < 1:
        return Projection(0.0, 0, None)
    pace = (series[-1] - series[-1 - window]) / window
    if pace >= 0 or series[-1] <= 0:
        return Projection(pace, window, 0 if series[-1] <= 0 else None)
    return Projection(pace, window, math.ceil(series[-1] / -pace))


@cached
def subsystem_info(session: Session, name: str, release: ReleaseRef) -> SubsystemInfo:
    """A subsystem's MAINTAINERS entry as of a release (or, if it was gone by then, its last one)."""
    query = (
        select(Section)
        .join(Subsystem, Subsystem.id == Section.subsystem_id)
        .join(Release, Release.maintainers_file_id == Section.maintainers_file_id)
        .where(Subsystem.name == name)
        .order_by((Release.id == release.id).desc(), Release.sort_key.desc())
        .limit(1)
    )
    section = session.execute(query).scalar_one_or_none()
    if section is None:
        raise NotFound(f"no MAINTAINERS subsystem {name!r}")
    return SubsystemInfo(
        name,
        section.status,
        tuple(section.maintainers),
        tuple(section.reviewers),
        tuple(section.lists),
        tuple((letter, tuple(values)) for letter, values in section.patterns.items() if values),
    )


@cached
def subsystem_files(
    session: Session, name: str, release: ReleaseRef, metric: Metric, count: Count
) -> tuple[Place, ...]:
    """The files a subsystem owns at a release that hold the metric, with the previous release's value."""
    before = previous_release(session, release)
    ids = [release.id] + ([before.id] if before else [])
    query = (
        select(Path.path, ReleaseFile.release_id, *_kind_sums(PathCount))
        .join(ReleaseFile, ReleaseFile.path_id == Path.id)
        .join(Subsystem, Subsystem.id == ReleaseFile.subsystem_id)
        .join(PathCount, (PathCount.path_id == Path.id) & (PathCount.release_id == ReleaseFile.release_id))
        .where(Subsystem.name == name, ReleaseFile.release_id.in_(ids), PathCount.identifier.in_(metric.identifiers))
        .group_by(Path.path, ReleaseFile.release_id)
    )
    by_release: dict[int, dict[str, Counts]] = {i: {} for i in ids}
    for path, release_id, *kinds in _core(session, query):
        by_release[release_id][path] = _kinds(kinds)
    then = by_release[before.id] if before else {}
    places = _places(lambda path: (path, "file"), by_release[release.id], then, count)
    return tuple(p for p in places if p.value or p.previous)


def occurrences(
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
    return tuple(OccurrenceRow(*row) for row in _core(session, query))


# ---- occurrence context: what each code occurrence does where it stands (issue 13) ---------------------


@dataclass(frozen=True)
class CalleeCount:
    """Code occurrences with one role and callee (None for a role without a call: assigned, a test …)."""

    role: str
    callee: str | None
    uses: int
    flags: tuple[tuple[str, int], ...]  # the other flags combined with them: (flag, occurrences), most first
    negated: int  # under a ~

    def with_flag(self, flag: str) -> int:
        return dict(self.flags).get(flag, 0)


@dataclass(frozen=True)
class ContextBreakdown:
    """The code occurrences of a metric in one place at a release, by what they do there.

    The place is the whole tree, a directory with all below it, a file, or a MAINTAINERS subsystem; the
    filters keep the occurrences that are an argument of one callee, or combined with one flag."""

    release: ReleaseRef
    metric: Metric
    path: str | None
    subsystem: str | None
    callee: str | None
    flag: str | None
    uses: int  # code occurrences kept by the filters
    unclassified: int  # stored before the context existed and not filled in yet (see `nofs ingest`)
    roles: tuple[tuple[str, int], ...]  # (role, occurrences), most first
    callees: tuple[CalleeCount, ...]  # most first
    flags: tuple[tuple[str, int], ...]  # (flag, occurrences combined with it), most first
    negated: int

    def with_flag(self, flag: str) -> int:
        return dict(self.flags).get(flag, 0)

    @property
    def kept(self) -> str:
        """Which occurrences the filters keep, in words; '' without a filter."""
        parts = [f"an argument of {self.callee}"] if self.callee else []
        parts += [f"combined with {self.flag}"] if self.flag else []
        return f"only those {' and '.join(parts)}" if parts else ""

    @property
    def place(self) -> str:
        return place_words(self.path, self.subsystem)


def place_words(path: str | None, subsystem: str | None) -> str:
    """A place a breakdown or list is restricted to, in words: a path (directory or file), a subsystem's files,
    both, or the whole tree."""
    if subsystem is None:
        return f"in /{path}" if path else "in the whole tree"
    return f"in {subsystem}" + (f" below /{path}" if path else "")


@cached
def context_breakdown(
    session: Session,
    release: ReleaseRef,
    metric: Metric,
    path: str | None = None,
    subsystem: str | None = None,
    callee: str | None = None,
    flag: str | None = None,
) -> ContextBreakdown:
    """Code occurrences of the metric at a release below `path` (a directory with all below it, or a file;
    None or '' for the whole tree), in `subsystem`'s files (both: its files below the path), grouped by
    (role, callee) and by flag. A file held by a release at two paths counts twice, as every count does."""
    o, rf = Occurrence, ReleaseFile
    query = (
        select(o.role, o.callee, o.flags, o.negated, func.count())
        .join(rf, rf.blob_id == o.blob_id)
        .where(rf.release_id == release.id, o.kind == Kind.CODE.value, o.identifier.in_(metric.identifiers))
        .group_by(o.role, o.callee, o.flags, o.negated)
    )
    if path:
        query = query.join(Path, Path.id == rf.path_id).where(under(path))
    if subsystem is not None:
        query = query.join(Subsystem, Subsystem.id == rf.subsystem_id).where(Subsystem.name == subsystem)
    unclassified = 0
    roles: Counter[str] = Counter()
    groups: dict[tuple[str, str | None], tuple[Counter[str], list[int]]] = {}
    every_flag: Counter[str] = Counter()
    for role, called, flags, negated, amount in _core(session, query).all():
        names = flags.split() if flags else []
        if role is None:
            unclassified += amount
            continue
        if (callee is not None and called != callee) or (flag is not None and flag not in names):
            continue
        roles[role] += amount
        flag_counts, totals = groups.setdefault((role, called), (Counter(), [0, 0]))
        totals[0] += amount
        totals[1] += amount if negated else 0
        for name in names:
            flag_counts[name] += amount
            every_flag[name] += amount
    callees = [
        CalleeCount(role, called, uses, _most_first(flag_counts), negated)
        for (role, called), (flag_counts, (uses, negated)) in groups.items()
    ]
    callees.sort(key=lambda c: (-c.uses, c.callee is None, c.callee or "", c.role))
    return ContextBreakdown(
        release,
        metric,
        path or None,
        subsystem,
        callee,
        flag,
        sum(roles.values()),
        unclassified,
        _most_first(roles),
        tuple(callees),
        _most_first(every_flag),
        sum(c.negated for c in callees),
    )


def _most_first(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


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
    for file, rows in groupby(_core(session, query).all(), key=itemgetter(0)):
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
    return tuple(FileOccurrenceChanges(path, int(add), int(rem)) for path, add, rem in _core(session, query).all())


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


# ---- counts by kind: what every page, API answer and report is made from -------------------------------


def _kind_sums(model: type[PathCount] | type[SubsystemCount]) -> list[ColumnElement[int]]:
    return [func.sum(model.code), func.sum(model.comment), func.sum(model.string), func.sum(model.definition)]


def _kinds(row: Any) -> Counts:
    return Counts(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0))


@cached
def subsystem_counts(session: Session, release: ReleaseRef, metric: Metric) -> dict[str, Counts]:
    query = (
        select(Subsystem.name, *_kind_sums(SubsystemCount))
        .join(SubsystemCount, SubsystemCount.subsystem_id == Subsystem.id)
        .where(SubsystemCount.release_id == release.id, SubsystemCount.identifier.in_(metric.identifiers))
        .group_by(Subsystem.name)
    )
    return {name: _kinds(rest) for name, *rest in _core(session, query)}


@cached
def subsystem_counts_series(session: Session, name: str, metric: Metric) -> tuple[Counts, ...]:
    query = (
        select(SubsystemCount.release_id, *_kind_sums(SubsystemCount))
        .join(Subsystem, Subsystem.id == SubsystemCount.subsystem_id)
        .where(Subsystem.name == name, SubsystemCount.identifier.in_(metric.identifiers))
        .group_by(SubsystemCount.release_id)
    )
    by_release = {release_id: _kinds(rest) for release_id, *rest in _core(session, query)}
    return tuple(by_release.get(r.id, ZERO_COUNTS) for r in releases(session))


@cached
def path_counts_series(session: Session, path: str, metric: Metric) -> tuple[Counts, ...]:
    found = path_id(session, path)
    by_release: dict[int, Counts] = {}
    if found is not None:
        query = (
            select(PathCount.release_id, *_kind_sums(PathCount))
            .where(PathCount.path_id == found[0], PathCount.identifier.in_(metric.identifiers))
            .group_by(PathCount.release_id)
        )
        by_release = {release_id: _kinds(rest) for release_id, *rest in _core(session, query)}
    return tuple(by_release.get(r.id, ZERO_COUNTS) for r in releases(session))


def place_counts(session: Session, release: ReleaseRef, path: str, metric: Metric) -> Counts:
    """A path as a whole (a directory with all below it, or a file) at a release."""
    return path_counts_series(session, path, metric)[_positions(session)[release.id]]


@cached
def children_counts(session: Session, release: ReleaseRef, path: str, metric: Metric) -> dict[tuple[str, bool], Counts]:
    found = path_id(session, path)
    if found is None:
        return {}
    query = (
        select(Path.path, Path.is_dir, *_kind_sums(PathCount))
        .join(PathCount, PathCount.path_id == Path.id)
        .where(Path.parent_id == found[0], PathCount.release_id == release.id)
        .where(PathCount.identifier.in_(metric.identifiers))
        .group_by(Path.path, Path.is_dir)
    )
    return {(child, is_dir): _kinds(rest) for child, is_dir, *rest in _core(session, query)}


@cached
def file_subsystems(session: Session, release: ReleaseRef) -> dict[str, str]:
    """Each counted file's MAINTAINERS subsystem at a release."""
    query = (
        select(Path.path, Subsystem.name)
        .join(ReleaseFile, ReleaseFile.path_id == Path.id)
        .join(Subsystem, Subsystem.id == ReleaseFile.subsystem_id)
        .where(ReleaseFile.release_id == release.id)
    )
    return dict(_core(session, query).all())


def known_path(session: Session, path: str) -> str:
    """The path, normalized, when any release counted an occurrence under it; else NotFound."""
    path = normalize_path(path)
    if path_id(session, path) is None:
        raise NotFound(f"no tracked occurrences under /{path} in any ingested release")
    return path


def known_subsystem(session: Session, name: str) -> str:
    """The name when some release's MAINTAINERS has it; else NotFound."""
    if name not in subsystem_names(session):
        raise NotFound(f"no MAINTAINERS subsystem {name!r} in any ingested release")
    return name


def subsystem_exists(session: Session, name: str) -> bool:
    return name in subsystem_names(session)


@cached
def subsystem_names(session: Session) -> frozenset[str]:
    return frozenset(session.execute(select(Subsystem.name)).scalars())
