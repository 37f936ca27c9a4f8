"""Which release intervals an ingest has to attribute, decided from what is stored and what this run will
store: no git, so that a run with nothing to do never imports the git machinery."""

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.lines import predecessors
from app.models import Attribution
from ingest import store


class IntervalProgress(Protocol):
    def interval_started(self, tag: str, since: str | None) -> None: ...
    def blobs_scanned(self, count: int) -> None: ...
    def interval_done(self, tag: str, message: str) -> None: ...


@dataclass(frozen=True)
class IntervalTodo:
    release: store.StoredRelease
    previous: store.StoredRelease | None


@dataclass(frozen=True)
class _Point:
    """A release on its line, stored as it should be (`ready`) or about to be stored by this run."""

    tag: str
    key: str
    line: str
    series: str
    ready: bool


def pending(session: Session, selected: dict[str, store.PlannedRelease] | None = None) -> list[IntervalTodo]:
    """Releases whose interval is not attributed yet, or was attributed from another previous release.

    A release's interval starts at its predecessor on its line (app/lines.py): the previous mainline
    release, the previous release of its stable series. `selected` are the releases this run will
    store: a release whose predecessor is among them but not stored as such yet waits (another worker
    may be storing it).
    """
    stored = store.stored_releases(session)
    points = {tag: _Point(tag, r.sort_key, r.line, r.series, True) for tag, r in stored.items()}
    for tag, planned in (selected or {}).items():
        if tag not in stored or stored[tag].commit_id != planned.commit_id:
            points[tag] = _Point(tag, planned.key, planned.line, planned.series, False)
    order = sorted(points.values(), key=lambda point: point.key)
    done = attributed(session)
    todo = []
    for point, before in zip(order, predecessors(order), strict=True):
        if point.tag not in stored or (before is not None and not before.ready):
            continue
        release = stored[point.tag]
        previous = stored[before.tag] if before is not None else None
        wanted = (previous.tag, previous.commit_id) if previous else (None, None)
        if done.get(release.id) != wanted:
            todo.append(IntervalTodo(release, previous))
    return todo


def attributed(session: Session) -> dict[int, tuple[str | None, str | None]]:
    """release id -> (previous release's tag, its commit) of every attributed interval; one attributed before
    the change split existed (migration 0005) is left out, to be attributed again."""
    a = Attribution
    rows = session.execute(select(a.release_id, a.from_tag, a.from_commit).where(a.change_kinds))
    return {release_id: (tag, commit) for release_id, tag, commit in rows}
