"""Read-side queries shared by reports, pages and the API. Plain dataclasses out; no writes."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from app.models import Path, PathCount, Release, Subsystem, SubsystemCount
from app.registry import BY_NAME


class NotFound(LookupError):
    """A release, path or subsystem the database does not know."""


@dataclass(frozen=True)
class ReleaseInfo:
    tag: str
    commit_id: str
    commit_date: datetime


@dataclass(frozen=True)
class CountRow:
    """Occurrences of one identifier in one place, by kind. `uses` is the headline number: code only."""

    name: str
    type: str  # "dir", "file", "subsystem", or "total" for the whole scope
    identifier: str
    code: int
    comment: int
    string: int
    definition: int

    @property
    def uses(self) -> int:
        return self.code

    @property
    def total(self) -> int:
        return self.code + self.comment + self.string + self.definition


@dataclass(frozen=True)
class Report:
    release: ReleaseInfo
    scope: str  # a path ('' is the whole tree) or "subsystems"
    metric: str | None
    rows: list[CountRow] = field(default_factory=list)
    totals: list[CountRow] = field(default_factory=list)


def _release_info(release: Release) -> ReleaseInfo:
    return ReleaseInfo(release.tag, release.commit_id, release.commit_date)


def get_release(session: Session, tag: str | None = None) -> Release:
    """The release with this tag, or the newest by version when no tag is given."""
    query = select(Release)
    query = query.where(Release.tag == tag) if tag else query.order_by(Release.sort_key.desc()).limit(1)
    release = session.execute(query).scalar_one_or_none()
    if release is None:
        raise NotFound(f"no release {tag!r} in the database" if tag else "no release ingested yet")
    return release


def list_releases(session: Session) -> list[ReleaseInfo]:
    rows = session.execute(select(Release).order_by(Release.sort_key)).scalars()
    return [_release_info(release) for release in rows]


def _check_metric(metric: str | None) -> None:
    if metric is not None and metric not in BY_NAME:
        raise NotFound(f"{metric!r} is not a tracked identifier (known: {', '.join(BY_NAME)})")


def normalize_path(path: str) -> str:
    return "/".join(part for part in path.strip().split("/") if part not in ("", "."))


def _kind_columns(model: type[PathCount] | type[SubsystemCount]) -> list[ColumnElement[int]]:
    return [model.code, model.comment, model.string, model.definition]


def _by_metric(query: Select, model: type[PathCount] | type[SubsystemCount], metric: str | None) -> Select:
    return query.where(model.identifier == metric) if metric else query


def path_report(session: Session, tag: str | None, path: str, metric: str | None = None) -> Report:
    """Counts for each child of `path` (a directory, or a file) and for `path` as a whole."""
    _check_metric(metric)
    release = get_release(session, tag)
    path = normalize_path(path)
    place = session.execute(select(Path).where(Path.path == path)).scalar_one_or_none()
    if place is None:
        return Report(_release_info(release), path, metric)
    children = _by_metric(
        select(Path.path, Path.is_dir, PathCount.identifier, *_kind_columns(PathCount))
        .join(PathCount, PathCount.path_id == Path.id)
        .where(PathCount.release_id == release.id, Path.parent_id == place.id),
        PathCount,
        metric,
    )
    rows = [
        CountRow(name, "dir" if is_dir else "file", identifier, *counts)
        for name, is_dir, identifier, *counts in session.execute(children)
    ]
    totals_query = _by_metric(
        select(PathCount.identifier, *_kind_columns(PathCount)).where(
            PathCount.release_id == release.id, PathCount.path_id == place.id
        ),
        PathCount,
        metric,
    )
    totals = [CountRow(path, "total", identifier, *counts) for identifier, *counts in session.execute(totals_query)]
    return Report(_release_info(release), path, metric, _ordered(rows), _ordered(totals))


def subsystem_report(session: Session, tag: str | None, metric: str | None = None) -> Report:
    """Counts for each MAINTAINERS subsystem with occurrences, and for the whole tree."""
    _check_metric(metric)
    release = get_release(session, tag)
    query = _by_metric(
        select(Subsystem.name, SubsystemCount.identifier, *_kind_columns(SubsystemCount))
        .join(SubsystemCount, SubsystemCount.subsystem_id == Subsystem.id)
        .where(SubsystemCount.release_id == release.id),
        SubsystemCount,
        metric,
    )
    rows = [CountRow(name, "subsystem", identifier, *counts) for name, identifier, *counts in session.execute(query)]
    totals = path_report(session, release.tag, "", metric).totals
    return Report(_release_info(release), "subsystems", metric, _ordered(rows), totals)


def _ordered(rows: list[CountRow]) -> list[CountRow]:
    """Most uses first; ties by name and identifier, so the order is stable for scripts."""
    return sorted(rows, key=lambda r: (-r.uses, -r.total, r.name, r.identifier))


def release_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Release)).scalar_one()
