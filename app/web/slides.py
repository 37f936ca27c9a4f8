"""The deck for a talk (an LSF/MM session): /slides on screen (arrow keys) and printed one slide a 16:9 page,
/slides.html the same deck as one self-contained HTML file that works offline. Numbers come from app.queries
and app.attribution; charts are drawn here, so the deck needs no script to show them or to print."""

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.assets import asset_dir
from app.change_rules import ChangeSplit
from app.metrics import SCOPES_OPENED, Metric
from app.queries import attribution, changes, counts, releases, repository, scopes
from app.queries.attribution import AuthorRow, CodePair, CommitRow, CommitView
from app.request import Back, SessionDep, View, ViewDep
from app.web import chart_routes, sections
from app.web.rendering import render
from app.web_views import WebViews

router = APIRouter()

SLIDE_ROWS: Final = 6  # authors and pulls on the converters' slide
FILESYSTEM_ROWS: Final = 15  # filesystems listed; the others are added up in one row (all are in the JSON twin)
PAIR_LINES: Final = 12  # code lines on each side of the before/after pair
CHART_WIDTH: Final = 1480  # px: a 1600 px slide less its margins


@dataclass(frozen=True)
class Headline:
    label: str
    now: int
    first: int

    @property
    def change(self) -> int:
        return self.now - self.first


@dataclass(frozen=True)
class Converters:
    authors: list[AuthorRow]
    pulls: tuple[CommitRow, ...]


@dataclass(frozen=True)
class ScopeColumn:
    """The filesystem table's "redundant in scope" column (app/scopes.py), or why it is empty."""

    counts: dict[str, int] | None  # per filesystem ('fs' for the VFS's files); None: nothing to show
    about: str  # which uses can be redundant
    why_not: str

    def of(self, names: list[str]) -> int | None:
        return None if self.counts is None else sum(self.counts.get(name, 0) for name in names)

    @property
    def total(self) -> int | None:
        return None if self.counts is None else sum(self.counts.values())


def _scope_column(session: Session, release: releases.ReleaseRef, metric: Metric) -> ScopeColumn:
    legacy = " or ".join(scopes.LEGACY)
    if not set(metric.identifiers) & set(scopes.LEGACY):
        return ScopeColumn(None, legacy, f"only a use of {legacy} can be redundant, not one of {metric.label}")
    why_not = f"scopes not read at {release.tag} (run nofs scopes)"
    return ScopeColumn(scopes.by_filesystem(session, release, metric.identifiers), metric.label, why_not)


@dataclass(frozen=True)
class Deck:
    """What templates/slides.html draws, slide by slide."""

    release: releases.ReleaseRef
    previous: releases.ReleaseRef | None
    first: releases.ReleaseRef
    headlines: tuple[Headline, ...]
    trend: str  # the chart's SVG: its endpoint's address on the web, a data: URI in the file to download
    subsystems: str
    filesystems: changes.FilesystemTable
    filesystem_rows: int
    redundant: ScopeColumn
    attributed: bool  # the release's interval is attributed to commits
    conversion: CodePair | None
    pair_lines: int
    converters: Converters | None
    split: ChangeSplit | None  # the interval's change in uses by kind of change (app/change_rules.py)
    links: WebViews | None  # where its commit link goes


def _svg_uri(spec: dict) -> str:
    """An image, not inline markup: two charts' SVG cannot clash, and no text in one is ever run as markup."""
    return "data:image/svg+xml;base64," + base64.b64encode(chart_routes.svg(spec).encode()).decode()


def _now_and_first(session: Session, path: str, metric: Metric, view: View, axis: tuple) -> tuple[int, int]:
    series = releases.along(session, counts.path_series(session, path, metric, view.count), axis)
    return series[-1], series[0]


def _converters(session: Session, view: View, within: tuple[releases.ReleaseRef, ...]) -> Converters:
    """The interval's authors who lowered the metric most, and its pulls (first-parent steps) that did."""
    commits = attribution.commit_effects(session, view.metric, view.count, CommitView.COMMITS, within)
    merges = attribution.commit_effects(session, view.metric, view.count, CommitView.MERGES, within)
    split_known = attribution.split_between(session, within)
    authors = [a for a in attribution.authors(commits) if (a.converted if split_known else a.removed)][:SLIDE_ROWS]
    return Converters(
        authors, attribution.with_details(session, attribution.top(merges, lowered=True, limit=SLIDE_ROWS))
    )


def _chart(chart: str, view: View, spec: Callable[[], dict], offline: bool) -> str:
    """The chart's address: its SVG endpoint on the web (drawn while the page is read, and cached like any
    chart), or the SVG itself inlined in the file to download (drawing two slide-sized charts takes most
    of a second at a hundred releases)."""
    if offline:
        return _svg_uri(spec())
    return f"/charts/{chart}.svg" + view.query(size="slide", width=str(CHART_WIDTH))


def deck(session: Session, view: View, back: int, offline: bool = False) -> Deck:
    release = releases.release_ref(session, view.tag)
    previous = releases.previous_release(session, release)
    axis = releases.upto(session, release)
    label = view.metric.label
    fs_now, fs_first = _now_and_first(session, "fs", view.metric, view, axis)
    all_now, all_first = _now_and_first(session, "", view.metric, view, axis)
    headlines = (
        Headline(f"{label} in fs/", fs_now, fs_first),
        Headline(f"{label} elsewhere", all_now - fs_now, all_first - fs_first),
        Headline("scopes opened (memalloc_*_save)", *_now_and_first(session, "", SCOPES_OPENED, view, axis)),
    )
    attributed = previous is not None and attribution.attributed_between(session, (release,))
    return Deck(
        release=release,
        previous=previous,
        first=axis[0],
        headlines=headlines,
        trend=_chart(
            "trend", view, lambda: chart_routes.trend_spec(session, view, None, None, CHART_WIDTH, large=True), offline
        ),
        subsystems=_chart(
            "subsystems", view, lambda: chart_routes.subsystems_spec(session, view, CHART_WIDTH, large=True), offline
        ),
        filesystems=changes.filesystem_table(session, release, back, view.metric, view.count),
        filesystem_rows=FILESYSTEM_ROWS,
        redundant=_scope_column(session, release, view.metric),
        attributed=attributed,
        conversion=attribution.biggest_conversion(session, release, view.metric, view.count) if attributed else None,
        pair_lines=PAIR_LINES,
        converters=_converters(session, view, (release,)) if attributed else None,
        split=attribution.change_split(session, view.metric, (release,)) if attributed else None,
        links=repository.links(session),
    )


@cache
def _asset(name: str) -> str:
    return (asset_dir("static") / name).read_text()


@dataclass(frozen=True)
class SlidesPage:
    """The deck as a page: on the web, or as one file with its styles and script inlined (`assets`)."""

    frame: sections.Frame
    deck: Deck
    assets: dict[str, str] | None
    query: str  # the deck's query string: links keep the reader's choices
    json_twin: str | None


def slides_page(session: Session, view: View, back: int, offline: bool) -> SlidesPage:
    assets = {"css": _asset("app.css") + _asset("slides.css"), "js": _asset("slides.js")} if offline else None
    query = view.query(back=None if back == changes.DEFAULT_BACK else str(back))
    twin = None if offline else "/api/v1/filesystems" + query
    return SlidesPage(sections.frame(session, view), deck(session, view, back, offline), assets, query, twin)


def _render(request: Request, session: Session, view: View, back: int, offline: bool) -> Response:
    return render(request, "slides.html", slides_page(session, view, back, offline))


@router.get("/slides", summary="The deck: 16:9 slides, arrow keys; prints one slide a page")
def slides(request: Request, session: SessionDep, view: ViewDep, back: Back = changes.DEFAULT_BACK) -> Response:
    return _render(request, session, view, back, offline=False)


@router.get("/slides.html", summary="The deck as one HTML file to download: styles and charts inlined, no network")
def slides_file(request: Request, session: SessionDep, view: ViewDep, back: Back = changes.DEFAULT_BACK) -> Response:
    response = _render(request, session, view, back, offline=True)
    tag = re.sub(r"[^A-Za-z0-9._-]", "_", releases.release_ref(session, view.tag).tag)
    response.headers["Content-Disposition"] = f'attachment; filename="nofs-slides-{tag}.html"'
    return response
