"""Counts by kind at a release and along a timeline: the whole tree, a path (a directory with all below it, or
a file), a MAINTAINERS subsystem; the places of a page with their value now and at the release before; the
counts `nofs report` tabulates per identifier."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cache import cached
from app.errors import BadParameter
from app.metrics import METRICS, Count, Metric
from app.models import Path, PathCount, ReleaseFile, Subsystem, SubsystemCount
from app.queries import sql
from app.queries.places import known_path, path_id, subsystems_by_id
from app.queries.releases import (
    ReleaseRef,
    along,
    positions,
    previous_release,
    release_ref,
    releases,
    upto,
)
from app.registry import BY_NAME, ZERO_COUNTS, Counts

PROJECTION_WINDOW = 5  # releases whose pace a burn-down projection follows
NAMED_LOOKUP = 50  # subsystems looked up by id; for more, one scan of the metric's rows is quicker


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


def places_of(
    type_of: Callable[[Any], tuple[str, str]], now: dict[Any, Counts], then: dict[Any, Counts], count: Count
) -> list[Place]:
    """Every key of either release as a Place, biggest value first; `type_of` names a key and its type."""
    places = [Place(*type_of(key), now.get(key, ZERO_COUNTS), then.get(key, ZERO_COUNTS), count) for key in now | then]
    return sorted(places, key=lambda p: (-p.value, -p.previous, p.name))


@cached
def subsystem_counts(session: Session, release: ReleaseRef, metric: Metric) -> dict[str, Counts]:
    query = (
        select(Subsystem.name, *sql.kind_sums(SubsystemCount))
        .join(SubsystemCount, SubsystemCount.subsystem_id == Subsystem.id)
        .where(SubsystemCount.release_id == release.id, SubsystemCount.identifier.in_(metric.identifiers))
        .group_by(Subsystem.name)
    )
    return {name: sql.kinds(rest) for name, *rest in sql.core(session, query)}


@cached
def children_counts(session: Session, release: ReleaseRef, path: str, metric: Metric) -> dict[tuple[str, bool], Counts]:
    found = path_id(session, path)
    if found is None:
        return {}
    query = (
        select(Path.path, Path.is_dir, *sql.kind_sums(PathCount))
        .join(PathCount, PathCount.path_id == Path.id)
        .where(Path.parent_id == found[0], PathCount.release_id == release.id)
        .where(PathCount.identifier.in_(metric.identifiers))
        .group_by(Path.path, Path.is_dir)
    )
    return {(child, is_dir): sql.kinds(rest) for child, is_dir, *rest in sql.core(session, query)}


@cached
def path_counts_series(session: Session, path: str, metric: Metric) -> tuple[Counts, ...]:
    found = path_id(session, path)
    by_release: dict[int, Counts] = {}
    if found is not None:
        query = (
            select(PathCount.release_id, *sql.kind_sums(PathCount))
            .where(PathCount.path_id == found[0], PathCount.identifier.in_(metric.identifiers))
            .group_by(PathCount.release_id)
        )
        by_release = {release_id: sql.kinds(rest) for release_id, *rest in sql.core(session, query)}
    return tuple(by_release.get(r.id, ZERO_COUNTS) for r in releases(session))


def place_counts(session: Session, release: ReleaseRef, path: str, metric: Metric) -> Counts:
    """A path as a whole (a directory with all below it, or a file) at a release."""
    return path_counts_series(session, path, metric)[positions(session)[release.id]]


@cached
def subsystem_counts_series(session: Session, name: str, metric: Metric) -> tuple[Counts, ...]:
    query = (
        select(SubsystemCount.release_id, *sql.kind_sums(SubsystemCount))
        .join(Subsystem, Subsystem.id == SubsystemCount.subsystem_id)
        .where(Subsystem.name == name, SubsystemCount.identifier.in_(metric.identifiers))
        .group_by(SubsystemCount.release_id)
    )
    by_release = {release_id: sql.kinds(rest) for release_id, *rest in sql.core(session, query)}
    return tuple(by_release.get(r.id, ZERO_COUNTS) for r in releases(session))


def path_series(session: Session, path: str, metric: Metric, count: Count) -> tuple[int, ...]:
    """The metric's value for a path (a directory with all below it, or a file) at every release, in order."""
    return tuple(count.of(kinds) for kinds in path_counts_series(session, path, metric))


def subsystem_series(session: Session, name: str, metric: Metric, count: Count) -> tuple[int, ...]:
    """The metric's value for a subsystem at every release, in order."""
    return tuple(count.of(kinds) for kinds in subsystem_counts_series(session, name, metric))


@cached
def subsystem_matrix(
    session: Session, metric: Metric, count: Count, names: frozenset[str] | None = None
) -> dict[str, tuple[int, ...]]:
    """Each subsystem (of `names`, or every one) that ever had an occurrence of the metric: its value at
    every release, in order. Rows are read by subsystem id and added up here: joining the names and
    grouping in SQL took seven times as long on a hundred kernel releases."""
    c = SubsystemCount
    query = select(c.subsystem_id, c.release_id, sql.value_column(c, count)).where(c.identifier.in_(metric.identifiers))
    name_of = subsystems_by_id(session)
    if names is not None and len(names) <= NAMED_LOOKUP:
        query = query.where(c.subsystem_id.in_(sorted(i for i, name in name_of.items() if name in names)))
    index = positions(session)
    matrix: dict[str, list[int]] = {}
    for subsystem_id, release_id, amount in sql.core(session, query).all():
        name = name_of[subsystem_id]
        if names is not None and name not in names:
            continue
        if name not in matrix:
            matrix[name] = [0] * len(index)
        matrix[name][index[release_id]] += amount
    return {name: tuple(values) for name, values in matrix.items()}


def value_and_previous(session: Session, series: tuple[int, ...], release: ReleaseRef) -> tuple[int, int]:
    """The value at a release and at its previous release (0 when it has none)."""
    position = positions(session)
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
    every = places_of(lambda name: (name, "subsystem"), subsystem_counts(session, release, metric), then, count)
    places = [p for p in every if p.value or p.previous]
    charted = frozenset(p.name for p in (places if with_series is None else places[:with_series]))
    matrix = subsystem_matrix(session, metric, count, charted)
    axis = upto(session, release)
    return [replace(p, series=along(session, matrix[p.name], axis)) if p.name in matrix else p for p in places]


def child_name_and_type(key: tuple[str, bool]) -> tuple[str, str]:
    """A (path, is_dir) key of children_counts as a Place's name and type."""
    return key[0], "dir" if key[1] else "file"


def children_places(session: Session, release: ReleaseRef, path: str, metric: Metric, count: Count) -> list[Place]:
    """The directories and files right below `path` with an occurrence here or at the previous release."""
    before = previous_release(session, release)
    now = children_counts(session, release, path, metric)
    then = children_counts(session, before, path, metric) if before else {}
    return places_of(child_name_and_type, now, then, count)


@cached
def subsystem_files(
    session: Session, name: str, release: ReleaseRef, metric: Metric, count: Count
) -> tuple[Place, ...]:
    """The files a subsystem owns at a release that hold the metric, with the previous release's value."""
    before = previous_release(session, release)
    ids = [release.id] + ([before.id] if before else [])
    query = (
        select(Path.path, ReleaseFile.release_id, *sql.kind_sums(PathCount))
        .join(ReleaseFile, ReleaseFile.path_id == Path.id)
        .join(Subsystem, Subsystem.id == ReleaseFile.subsystem_id)
        .join(PathCount, (PathCount.path_id == Path.id) & (PathCount.release_id == ReleaseFile.release_id))
        .where(Subsystem.name == name, ReleaseFile.release_id.in_(ids), PathCount.identifier.in_(metric.identifiers))
        .group_by(Path.path, ReleaseFile.release_id)
    )
    by_release: dict[int, dict[str, Counts]] = {i: {} for i in ids}
    for path, release_id, *kinds in sql.core(session, query):
        by_release[release_id][path] = sql.kinds(kinds)
    then = by_release[before.id] if before else {}
    places = places_of(lambda path: (path, "file"), by_release[release.id], then, count)
    return tuple(p for p in places if p.value or p.previous)


@dataclass(frozen=True)
class Projection:
    """Where a series reaches zero at the pace of its last `window` releases; None when it is not falling."""

    pace: float  # change per release
    window: int
    releases_to_zero: int | None


def project(series: tuple[int, ...], window: int = PROJECTION_WINDOW) -> Projection:
    """Straight-line pace over the last `window` releases (fewer when fewer exist)."""
    window = min(window, len(series) - 1)
    if window < 1:
        return Projection(0.0, 0, None)
    pace = (series[-1] - series[-1 - window]) / window
    if pace >= 0 or series[-1] <= 0:
        return Projection(pace, window, 0 if series[-1] <= 0 else None)
    return Projection(pace, window, math.ceil(series[-1] / -pace))


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
    release: ReleaseRef
    scope: str  # a path ('' is the whole tree) or "subsystems"
    metric: str | None
    rows: list[CountRow] = field(default_factory=list)
    totals: list[CountRow] = field(default_factory=list)


def _asked(metric: str | None) -> tuple[Metric, ...]:
    """What a report counts: every tracked identifier apart, or the one metric asked for (an identifier, or a
    headline metric such as legacy, whose identifiers add up)."""
    if metric is None:
        return tuple(METRICS[name] for name in BY_NAME)
    if metric not in METRICS:
        raise BadParameter(f"{metric!r} is not a metric (known: {', '.join(METRICS)})")
    return (METRICS[metric],)


def path_report(session: Session, tag: str | None, path: str, metric: str | None = None) -> Report:
    """Counts for each child of `path` (a directory, or a file) and for `path` as a whole, per identifier:
    the questions the tree page and /api/v1/tree answer, asked once for each identifier. NotFound for a path
    no release counted anything under, as the tree page and the API say."""
    asked = _asked(metric)
    release = release_ref(session, tag)
    path = known_path(session, path)
    rows = [
        CountRow(name, "dir" if is_dir else "file", m.key, counts)
        for m in asked
        for (name, is_dir), counts in children_counts(session, release, path, m).items()
    ]
    return Report(release, path, metric, _ordered(rows), _totals(session, release, path, asked))


def subsystem_report(session: Session, tag: str | None, metric: str | None = None) -> Report:
    """Counts for each MAINTAINERS subsystem with occurrences, and for the whole tree, per identifier."""
    asked = _asked(metric)
    release = release_ref(session, tag)
    rows = [
        CountRow(name, "subsystem", m.key, counts)
        for m in asked
        for name, counts in subsystem_counts(session, release, m).items()
    ]
    return Report(release, "subsystems", metric, _ordered(rows), _totals(session, release, "", asked))


def _totals(session: Session, release: ReleaseRef, path: str, asked: tuple[Metric, ...]) -> list[CountRow]:
    """The place as a whole, a row for every identifier asked about: none found is an answer, a row of zeros."""
    return _ordered([CountRow(path, "total", m.key, place_counts(session, release, path, m)) for m in asked])


def _ordered(rows: list[CountRow]) -> list[CountRow]:
    """Most uses first; ties by name and identifier, so the order is stable for scripts."""
    return sorted(rows, key=lambda r: (-r.uses, -r.total, r.name, r.identifier))
