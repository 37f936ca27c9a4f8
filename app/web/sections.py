"""The sections several pages share, each a frozen dataclass built by one function: what a template's macro of
the same name in templates/partials/ draws. Every number comes from app.queries."""

from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from app.change_rules import ChangeSplit
from app.links import api_url
from app.metrics import METRICS, Count
from app.queries import attribution, context, counts, fixes, places, releases, repository, scopes
from app.queries.attribution import AuthorRow, CommitRow, CommitView
from app.queries.releases import ReleaseRef
from app.request import ContextFilter, View
from app.web_views import WebViews

SCOPE_ROWS: Final = 50  # findings a page lists; every one is in its JSON/CSV twin
SCOPE_SUBSYSTEMS: Final = 10  # subsystems the whole tree's scope section lists
TOP_COMMITS: Final = 10


@dataclass(frozen=True)
class Frame:
    """What every page about a release shows around its content: the reader's choices, the release, the one
    before it on its line, the selectors' lists and the axis its charts draw."""

    view: View
    release: ReleaseRef
    previous: ReleaseRef | None
    releases: tuple[ReleaseRef, ...]
    release_groups: tuple[tuple[str, tuple[ReleaseRef, ...]], ...]
    axis: tuple[ReleaseRef, ...]
    axis_label: str
    links: WebViews | None  # where commits and source lines are on the web (app/queries/repository.py)

    def along(self, session: Session, values: tuple[int, ...]) -> tuple[int, ...]:
        """A series over every release, along this page's axis: what its charts draw."""
        return releases.along(session, values, self.axis)


def frame(session: Session, view: View) -> Frame:
    release = releases.release_ref(session, view.tag)
    return Frame(
        view,
        release,
        releases.previous_release(session, release),
        releases.releases(session),
        tuple(releases.release_groups(session)),
        releases.upto(session, release),
        releases.axis_label(session, release),
        repository.links(session),
    )


@dataclass(frozen=True)
class Headline:
    """A number at the release, its change since the previous release (None at the first) and since the first
    release of the axis."""

    value: int
    since_previous: int | None
    since_first: int

    def __sub__(self, other: "Headline") -> "Headline":
        before = (
            None
            if self.since_previous is None or other.since_previous is None
            else self.since_previous - other.since_previous
        )
        return Headline(self.value - other.value, before, self.since_first - other.since_first)


def headline(session: Session, page: Frame, path: str, metric_key: str, count: Count) -> Headline:
    series = page.along(session, counts.path_series(session, path, METRICS[metric_key], count))
    return Headline(series[-1], series[-1] - series[-2] if len(series) > 1 else None, series[-1] - series[0])


@dataclass(frozen=True)
class SubsystemRow:
    place: counts.Place  # with its series along the axis when charted
    projection: counts.Projection


SORTS: Final = ("value", "change", "name", "zero")


@dataclass(frozen=True)
class SubsystemTable:
    """The subsystem table: filtered by a substring of the name (`q`), sorted; `limit` rows shown (None: all)."""

    release: releases.ReleaseRef
    rows: tuple[SubsystemRow, ...]
    q: str
    sort: str
    limit: int | None


def subsystem_table(
    session: Session, page: Frame, q: str, sort: str, limit: int | None = None, charted: int | None = None
) -> SubsystemTable:
    """`charted`: how many of the biggest get a sparkline and a projection (all of them by default)."""
    view = page.view
    places_now = counts.subsystem_places(session, page.release, view.metric, view.count, charted)
    rows = [SubsystemRow(place, counts.project(place.series)) for place in places_now]
    needle = q.strip().lower()
    if needle:
        rows = [r for r in rows if needle in r.place.name.lower()]
    keys = {
        "value": lambda r: (-r.place.value, r.place.name),
        "change": lambda r: (r.place.change, r.place.name),
        "name": lambda r: r.place.name.lower(),
        "zero": lambda r: (r.projection.releases_to_zero is None, r.projection.releases_to_zero or 0),
    }
    return SubsystemTable(page.release, tuple(sorted(rows, key=keys[sort])), q, sort, limit)


@dataclass(frozen=True)
class ContextTable:
    """What the metric's code uses are passed to, in a place; `here` is the page filter links come back to."""

    breakdown: context.ContextBreakdown
    here: str
    twin: str


def context_table(
    session: Session, view: View, release: releases.ReleaseRef, filters: ContextFilter, here: str, where: places.Where
) -> ContextTable:
    found = context.context_breakdown(session, release, view.metric, where, filters.callee, filters.flag)
    twin = api_url("context") + view.query(path=where.path, subsystem=where.subsystem, **filters.params())
    return ContextTable(found, here, twin)


@dataclass(frozen=True)
class ScopeSection:
    """The scope reading of a place: the summary, the first findings, the place at each release read along the
    axis, and the JSON twin."""

    summary: scopes.ScopeSummary
    rows: tuple[scopes.FindingRow, ...]
    subsystems_shown: int
    history: tuple[scopes.SeriesPoint, ...]
    twin: str


def scope_section(session: Session, view: View, release: releases.ReleaseRef, where: places.Where) -> ScopeSection:
    return ScopeSection(
        scopes.summary(session, release, where),
        scopes.findings(session, release, where, limit=SCOPE_ROWS),
        SCOPE_SUBSYSTEMS,
        scopes.series(session, releases.upto(session, release), where),
        api_url("scopes")
        + view.query(metric=None, count=None, release=release.tag, path=where.path, subsystem=where.subsystem),
    )


@dataclass(frozen=True)
class SplitShown:
    split: ChangeSplit
    where: str  # "from v1 to v2"


def splits(session: Session, view: View, release: releases.ReleaseRef, where: places.Where) -> tuple[SplitShown, ...]:
    """The change split of a place since the previous release and since the first one, where it is known."""
    every = releases.releases_between(session, None, release)
    previous = releases.previous_release(session, release)
    shown = []
    if previous is not None:
        last = releases.releases_between(session, previous, release)
        shown.append((attribution.change_split(session, view.metric, last, where), f"from {previous.tag}"))
    if len(every) > 2:
        shown.append((attribution.change_split(session, view.metric, every, where), f"from {every[0].tag}"))
    return tuple(SplitShown(split, f"{since} to {release.tag}") for split, since in shown if split is not None)


@dataclass(frozen=True)
class PathCommits:
    """The commits up to a release that changed a place, and its change split by kind."""

    rows: tuple[CommitRow, ...]
    where: str  # in words: "this file", "/fs/", a subsystem's name
    twin: str
    splits: tuple[SplitShown, ...]


def path_commits(
    session: Session, view: View, release: releases.ReleaseRef, where: places.Where, words: str, twin: str
) -> PathCommits:
    rows = attribution.commits_up_to(session, view.metric, view.count, CommitView.COMMITS, release, where)
    return PathCommits(rows, words, twin, splits(session, view, release, where))


@dataclass(frozen=True)
class FixesSection:
    """The conversions of the intervals after `older` up to `newer` that needed a fix."""

    found: fixes.NeededFixes
    twin: str
    older: releases.ReleaseRef
    newer: releases.ReleaseRef


def fixes_section(
    session: Session,
    view: View,
    older: releases.ReleaseRef,
    newer: releases.ReleaseRef,
    where: places.Where = places.EVERYWHERE,
) -> FixesSection:
    within = releases.releases_between(session, older, newer)
    found = fixes.needed_fixes(session, view.metric, view.count, within, where)
    twin = api_url("fixes") + view.query(
        release=newer.tag, subsystem=where.subsystem, path=where.path, **{"from": older.tag}
    )
    return FixesSection(found, twin, older, newer)


@dataclass(frozen=True)
class CommitsSection:
    """Which commits moved the metric between two releases: the top commits both ways, the first-parent steps,
    the authors, and their sum. `within` is empty for a comparison backwards in time: it has no commits."""

    older: releases.ReleaseRef
    newer: releases.ReleaseRef
    attributed: bool
    within: tuple[releases.ReleaseRef, ...]
    walked: int
    changed: int  # commits that changed the metric themselves
    steps: int
    step_total: int
    lowered: tuple[CommitRow, ...]
    raised: tuple[CommitRow, ...]
    top_merges: tuple[CommitRow, ...]
    authors: tuple[AuthorRow, ...]
    split: ChangeSplit | None
    off_line: str  # the releases not on their newer one's first-parent line


def commits_section(
    session: Session, view: View, older: releases.ReleaseRef, newer: releases.ReleaseRef
) -> CommitsSection:
    within = releases.releases_between(session, older, newer)
    effects = attribution.commit_effects(session, view.metric, view.count, CommitView.COMMITS, within)
    steps = attribution.step_summary(session, view.metric, view.count, within, TOP_COMMITS)
    intervals = [attribution.interval(session, r) for r in within]
    off_line = [i.from_tag for i in intervals if i is not None and i.from_tag and not i.linear]
    lowered = attribution.top(effects, lowered=True, limit=TOP_COMMITS)
    raised = attribution.top(effects, lowered=False, limit=TOP_COMMITS)
    # only the rows on the page are read in full: a comparison over a hundred releases ranks ten thousand
    detailed = attribution.with_details(session, [*lowered, *raised, *steps.largest])
    return CommitsSection(
        older,
        newer,
        bool(within) and attribution.attributed_between(session, within),
        within,
        sum(i.commits_walked for i in intervals if i is not None),
        len(effects),
        steps.steps,
        steps.total,
        detailed[: len(lowered)],
        detailed[len(lowered) : len(lowered) + len(raised)],
        detailed[len(lowered) + len(raised) :],
        tuple(attribution.authors(effects)[:TOP_COMMITS]),
        attribution.change_split(session, view.metric, within),
        ", ".join(off_line),
    )
