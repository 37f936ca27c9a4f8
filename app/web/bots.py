"""Small things bots and READMEs fetch: a count badge per subsystem or path, and an Atom feed of additions.

Their templates end in .xml so that Jinja escapes what they print, as it does for HTML.
"""

import itertools
from datetime import UTC, datetime
from typing import Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.errors import NotFound
from app.metrics import METRICS, Count, goes_down
from app.queries import counts, occurrences, places, releases
from app.request import SessionDep, ViewDep
from app.web.rendering import templates

router = APIRouter()

CHAR_WIDTH: Final = 6.6  # pixels per character of 11 px Verdana, close enough for a badge
FEED_RELEASES: Final = 20  # release intervals a feed looks back over
GREEN, RED, GREY = "#4c1", "#e05d44", "#9f9f9f"


@router.get("/badge/{target:path}.svg", summary="A badge: the metric's uses left in a subsystem or path")
def badge(session: SessionDep, view: ViewDep, target: str) -> Response:
    release = releases.release_ref(session, view.tag)
    if target in places.subsystem_names(session):
        series = counts.subsystem_series(session, target, view.metric, view.count)
    elif places.path_id(session, path := places.normalize_path(target)) is not None:
        series = counts.path_series(session, path, view.metric, view.count)
    else:
        raise NotFound(f"{target!r} is neither a MAINTAINERS subsystem nor a counted path")
    value, before = counts.value_and_previous(session, series, release)
    previous = releases.previous_release(session, release)
    change = value - before
    falling = goes_down(view.metric)
    color = GREY if change == 0 and value else (GREEN if (change < 0) == falling or value == 0 else RED)
    label = f"{view.metric.label} {'uses' if view.count is Count.USES else 'all'}"
    if release.provisional:
        label += f" @{release.tag} (provisional)"
    message = f"{value} ({change:+d})" if change else (f"{value} (±0)" if previous else f"{value}")
    left, right = int(len(label) * CHAR_WIDTH) + 10, int(len(message) * CHAR_WIDTH) + 10
    svg = templates.get_template("badge.svg.xml").render(
        label=label, message=message, left=left, right=right, color=color, title=f"{label}: {message} at {release.tag}"
    )
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=300"})


@router.get("/feeds/additions.atom", summary="Atom: where new uses of a legacy flag appeared, release by release")
def additions(
    request: Request,
    session: SessionDep,
    subsystem: str | None = Query(None, max_length=512),
    path: str | None = Query(None, max_length=4096),
) -> Response:
    metric = METRICS["legacy"]
    known = releases.timeline(session, releases.release_ref(session, None)) if releases.releases(session) else ()
    if subsystem is not None:
        places.known_subsystem(session, subsystem)
    prefix = places.normalize_path(path) if path else ""
    entries = []
    for older, newer in list(itertools.pairwise(known))[-FEED_RELEASES:]:
        owners = places.file_subsystems(session, newer)
        added: dict[str, list[occurrences.OccurrenceChange]] = {}
        for change in occurrences.occurrence_changes(session, older, newer, metric):
            if not change.added or change.kind != "code":
                continue
            if prefix and not (change.path == prefix or change.path.startswith(prefix + "/")):
                continue
            if subsystem is not None and owners.get(change.path) != subsystem:
                continue
            added.setdefault(change.path, []).append(change)
        for file, changes in sorted(added.items()):
            entries.append(
                {"older": older, "newer": newer, "path": file, "owner": owners.get(file), "changes": changes}
            )
    entries.reverse()  # newest first
    scope = f" in {subsystem}" if subsystem else (f" under /{prefix}" if prefix else "")
    updated = known[-1].commit_date if known else datetime.now(UTC)
    body = templates.get_template("feed.atom.xml").render(
        request=request, entries=entries, scope=scope, updated=updated, base=str(request.base_url).rstrip("/")
    )
    return Response(body, media_type="application/atom+xml")
