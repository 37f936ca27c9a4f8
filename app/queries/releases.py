"""Which releases are stored, the line each is a point on (app/lines.py's rules), and the interval between two."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import lines
from app.cache import cached
from app.errors import BadParameter, NotFound
from app.models import Release
from app.queries import repository


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


@cached
def releases(session: Session) -> tuple[ReleaseRef, ...]:
    """Every release in version order, whatever its line: the selector's list, and the order every
    `*_series` function's values follow."""
    r = Release
    rows = session.execute(
        select(r.id, r.tag, r.commit_id, r.commit_date, r.line, r.series).order_by(r.sort_key, r.tag)
    )
    return tuple(ReleaseRef(*row) for row in rows)


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


@cached
def timeline(session: Session, release: ReleaseRef) -> tuple[ReleaseRef, ...]:
    """The axis a release is a point on (app/lines.py): mainline, or its own stable series."""
    return lines.timeline(releases(session), release)


@cached
def release_groups(session: Session) -> list[tuple[str, tuple[ReleaseRef, ...]]]:
    """Releases by line, newest first: the selector's and the release list's groups."""
    return lines.groups(releases(session), repository.scheme(session))


def axis_label(session: Session, release: ReleaseRef) -> str:
    """What a chart's x axis holds (app/lines.py's rule), said under every chart."""
    if release.provisional:
        return f"releases, then {release.tag}: a moving ref, provisional, replaced when it moves"
    if repository.scheme(session) == lines.Scheme.FLAT:
        return "every ingested release in version order: one line (X.Y.0, X.Y.1, … on one branch)"
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
    position = positions(session)
    return tuple(values[position[r.id]] for r in axis)


@cached
def positions(session: Session) -> dict[int, int]:
    """Each release's index in `releases`: where its value stands in a series."""
    return {release.id: index for index, release in enumerate(releases(session))}


def previous_release(session: Session, release: ReleaseRef) -> ReleaseRef | None:
    """The release before it on its line: what "since the previous release" means everywhere."""
    return _predecessors(session)[release.id]


@cached
def _predecessors(session: Session) -> dict[int, ReleaseRef | None]:
    known = releases(session)
    return {release.id: before for release, before in zip(known, lines.predecessors(known), strict=True)}


def releases_between(session: Session, older: ReleaseRef | None, newer: ReleaseRef) -> tuple[ReleaseRef, ...]:
    """The releases whose intervals make up older -> newer along newer's timeline: newer alone when
    older is its predecessor, every release up to newer when older is None, none when older is not an
    older release on that timeline (a stable release against a later mainline one, or a comparison backwards)."""
    known = upto(session, newer)
    if older is None:
        return known
    return known[known.index(older) + 1 :] if older in known else ()


@dataclass(frozen=True)
class Interval:
    """An older release and a newer one on its line, and the releases whose intervals make up the change
    between them (newer alone when older is the one before it)."""

    older: ReleaseRef
    newer: ReleaseRef
    within: tuple[ReleaseRef, ...]


def interval_between(session: Session, older: str | None, newer: str | None) -> Interval:
    """The interval a reader asks for by tags: back from `newer` (the newest release when None) to `older` (the
    release before it on its line when None). NotFound for a tag the database does not hold; BadParameter when
    the two make no interval: the newer is the first release of its line, or the older is not an older release
    on the newer's line."""
    to = release_ref(session, newer)
    since = release_ref(session, older) if older is not None else previous_release(session, to)
    if since is None:
        raise BadParameter(f"{to.tag} is the first ingested release: nothing to compare it with")
    within = releases_between(session, since, to)
    if not within:
        raise BadParameter(f"{since.tag} is not an older release on {to.tag}'s line")
    return Interval(since, to, within)
