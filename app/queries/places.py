"""Places a reader asks about: paths (a directory with all below it, or a file) and MAINTAINERS subsystems.

`where` resolves what a reader asked for into a `Where`, with one error for a place the database does not
know; `restrict` keeps a query's rows in it. Every list and count restricted to a place goes through both."""

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, ColumnExpressionArgument, Select, func, select
from sqlalchemy.orm import Session

from app.cache import cached
from app.errors import NotFound
from app.models import Path, Release, ReleaseFile, Section, Subsystem
from app.queries.releases import ReleaseRef


def normalize_path(path: str) -> str:
    return "/".join(part for part in path.strip().split("/") if part not in ("", "."))


def under(path: str) -> ColumnElement[bool]:
    """A stored path that is `path` itself or lies below it (a directory with all below it, or a file)."""
    return (Path.path == path) | (func.substr(Path.path, 1, len(path) + 1) == path + "/")


@cached
def path_id(session: Session, path: str) -> tuple[int, bool] | None:
    """The stored path's id and whether it is a directory; None when no release counted anything under it."""
    row = session.execute(select(Path.id, Path.is_dir).where(Path.path == path)).one_or_none()
    return (row[0], row[1]) if row else None


def known_path(session: Session, path: str) -> str:
    """The path, normalized, when any release counted an occurrence under it ('' is the whole tree); else NotFound."""
    path = normalize_path(path)
    if path_id(session, path) is None:
        raise NotFound(f"no tracked occurrences under /{path} in any ingested release")
    return path


def known_subsystem(session: Session, name: str) -> str:
    """The name when some release's MAINTAINERS has it; else NotFound."""
    if name not in subsystem_names(session):
        raise NotFound(f"no MAINTAINERS subsystem {name!r} in any ingested release")
    return name


@cached
def subsystem_names(session: Session) -> frozenset[str]:
    return frozenset(session.execute(select(Subsystem.name)).scalars())


@cached
def subsystems_by_id(session: Session) -> dict[int, str]:
    return {subsystem_id: name for subsystem_id, name in session.execute(select(Subsystem.id, Subsystem.name))}


@dataclass(frozen=True)
class Where:
    """A place a count or a list is restricted to: below a path (a directory with all below it, or a file), in a
    MAINTAINERS subsystem's files, both (its files below the path), or, with neither, the whole tree."""

    path: str | None = None  # normalized, never ''
    subsystem: str | None = None

    @property
    def words(self) -> str:
        """The place in words, as every page, API rule and report says it."""
        if self.subsystem is None:
            return f"in /{self.path}" if self.path else "in the whole tree"
        return f"in {self.subsystem}" + (f" below /{self.path}" if self.path else "")

    @property
    def whole_tree(self) -> bool:
        return self.path is None and self.subsystem is None


EVERYWHERE = Where()


def where(session: Session, path: str | None = None, subsystem: str | None = None) -> Where:
    """The place a reader asked for: the path normalized ('' or '/' is the whole tree, as no path), the subsystem
    ('' is none), each checked against what the database knows; NotFound names the one it does not."""
    place = known_path(session, path) if path is not None else None
    owner = known_subsystem(session, subsystem) if subsystem else None
    return Where(place or None, owner)


Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def restrict(
    query: Q,
    place: Where,
    path_id: ColumnExpressionArgument[Any] | None = None,
    subsystem_id: ColumnExpressionArgument[Any] | None = None,
) -> Q:
    """The query's rows in the place. Paths and subsystems are joined on the given columns; without a column,
    the query must already join that table."""
    if place.path:
        if path_id is not None:
            query = query.join(Path, Path.id == path_id)
        query = query.where(under(place.path))
    if place.subsystem is not None:
        if subsystem_id is not None:
            query = query.join(Subsystem, Subsystem.id == subsystem_id)
        query = query.where(Subsystem.name == place.subsystem)
    return query


@cached
def file_subsystems(session: Session, release: ReleaseRef) -> dict[str, str]:
    """Each counted file's MAINTAINERS subsystem at a release."""
    query = (
        select(Path.path, Subsystem.name)
        .join(ReleaseFile, ReleaseFile.path_id == Path.id)
        .join(Subsystem, Subsystem.id == ReleaseFile.subsystem_id)
        .where(ReleaseFile.release_id == release.id)
    )
    return {path: name for path, name in session.connection().execute(query).all()}


@dataclass(frozen=True)
class SubsystemInfo:
    name: str
    status: str | None
    maintainers: tuple[str, ...]
    reviewers: tuple[str, ...]
    lists: tuple[str, ...]
    patterns: tuple[tuple[str, tuple[str, ...]], ...]


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
