"""Each page of the dashboard as a frozen dataclass built by one function: its template draws that object and
nothing else. Routes (app/web/pages.py) parse the request and call a builder; the warm-up builds pages too."""

from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from app.links import api_url, release_url, subsystem_url, tree_url
from app.queries import changes, counts, occurrences, places, releases, repository, scopes
from app.queries.repository import RepositoryView
from app.queries.scopes import FindingRow
from app.request import ContextFilter, View
from app.web import sections
from app.web.sections import (
    CommitsSection,
    ContextTable,
    FixesSection,
    Frame,
    Headline,
    PathCommits,
    ScopeSection,
    SubsystemTable,
)

MOVERS: Final = 10
OVERVIEW_SUBSYSTEMS: Final = 40  # subsystem rows on the overview; all of them are on /subsystems
TOP_CHANGES: Final = 25  # subsystems and files listed on a comparison; the rest are in its JSON/CSV twin
SUMMARY_PAGE: Final = 50  # files a page of the occurrence summary lists


@dataclass(frozen=True)
class Overview:
    frame: Frame
    nofs_fs: Headline
    outside: Headline  # GFP_NOFS outside fs/
    noio: Headline
    scoped: Headline
    projection: counts.Projection
    fewer: tuple[counts.Place, ...]  # files whose count fell most since the previous release
    more: tuple[counts.Place, ...]
    subsystems: SubsystemTable
    json_twin: str


def overview(session: Session, view: View) -> Overview:
    page = sections.frame(session, view)
    nofs_fs = sections.headline(session, page, "fs", "GFP_NOFS", view.count)
    nofs_all = sections.headline(session, page, "", "GFP_NOFS", view.count)
    total = page.along(session, counts.path_series(session, "", view.metric, view.count))
    movers = (
        changes.file_changes(session, page.previous, page.release, view.metric, view.count) if page.previous else ()
    )
    return Overview(
        page,
        nofs_fs,
        nofs_all - nofs_fs,
        sections.headline(session, page, "", "GFP_NOIO", view.count),
        sections.headline(session, page, "", "scoped", view.count),
        counts.project(total),
        tuple(m for m in movers if m.change < 0)[:MOVERS],
        tuple(m for m in movers if m.change > 0)[:MOVERS],
        sections.subsystem_table(session, page, "", "value", OVERVIEW_SUBSYSTEMS, OVERVIEW_SUBSYSTEMS),
        api_url("subsystems") + view.query(),
    )


@dataclass(frozen=True)
class Subsystems:
    frame: Frame
    table: SubsystemTable
    json_twin: str


def subsystems(session: Session, view: View, q: str, sort: str) -> Subsystems:
    page = sections.frame(session, view)
    return Subsystems(page, sections.subsystem_table(session, page, q, sort), api_url("subsystems") + view.query())


@dataclass(frozen=True)
class Subsystem:
    frame: Frame
    info: places.SubsystemInfo
    series: tuple[int, ...]
    projection: counts.Projection
    files: tuple[counts.Place, ...]
    context: ContextTable
    scopes: ScopeSection
    commits: PathCommits
    fixes: FixesSection | None  # None at the first release of the axis: no interval
    json_twin: str


def subsystem(session: Session, view: View, name: str, filters: ContextFilter) -> Subsystem:
    page = sections.frame(session, view)
    where = places.where(session, subsystem=name)
    release = page.release
    series = page.along(session, counts.subsystem_series(session, name, view.metric, view.count))
    first = page.axis[0]
    twin = api_url("subsystems", name, "commits") + view.query()
    return Subsystem(
        page,
        places.subsystem_info(session, name, release),
        series,
        counts.project(series),
        counts.subsystem_files(session, name, release, view.metric, view.count),
        sections.context_table(session, view, release, filters, subsystem_url(name), where),
        sections.scope_section(session, view, release, where),
        sections.path_commits(session, view, release, where, name, twin),
        sections.fixes_section(session, view, first, release, where) if first != release else None,
        api_url("subsystems", name, "history") + view.query(),
    )


def crumbs(path: str) -> tuple[tuple[str, str], ...]:
    """Each directory of a path, with the path to it."""
    parts = path.split("/") if path else []
    return tuple((part, "/".join(parts[: i + 1])) for i, part in enumerate(parts))


@dataclass(frozen=True)
class Tree:
    """A directory (or the whole tree, path '')."""

    frame: Frame
    path: str
    series: tuple[int, ...]
    children: tuple[counts.Place, ...]
    context: ContextTable
    scopes: ScopeSection
    commits: PathCommits | None  # the whole tree's page lists no commits: every commit would be there
    json_twin: str

    @property
    def crumbs(self) -> tuple[tuple[str, str], ...]:
        return crumbs(self.path)


@dataclass(frozen=True)
class File:
    frame: Frame
    path: str
    series: tuple[int, ...]
    context: ContextTable
    scopes: ScopeSection
    commits: PathCommits
    occurrences: tuple[occurrences.OccurrenceRow, ...]  # those the filters keep
    every: int  # occurrences in the file, whatever the filters
    filters: ContextFilter
    marks: dict[int, tuple[FindingRow, ...]]  # the scope findings by line, however many the section lists
    json_twin: str

    @property
    def crumbs(self) -> tuple[tuple[str, str], ...]:
        return crumbs(self.path)


def tree(session: Session, view: View, path: str, filters: ContextFilter) -> Tree | File:
    """A directory's page, or a file's: the path says which."""
    path = places.known_path(session, path)
    page = sections.frame(session, view)
    release = page.release
    where = places.Where(path or None)
    series = page.along(session, counts.path_series(session, path, view.metric, view.count))
    table = sections.context_table(session, view, release, filters, tree_url(path), where)
    scope = sections.scope_section(session, view, release, where)
    twin = api_url("files", path, "commits") + view.query()
    found = places.path_id(session, path)
    if found is not None and not found[1]:
        marks: dict[int, list[FindingRow]] = {}
        for row in scopes.findings(session, release, where):
            marks.setdefault(row.line, []).append(row)
        return File(
            page,
            path,
            series,
            table,
            scope,
            sections.path_commits(session, view, release, where, "this file", twin),
            occurrences.in_file(session, release, path, filters.callee, filters.flag),
            len(occurrences.in_file(session, release, path)),
            filters,
            {line: tuple(rows) for line, rows in marks.items()},
            api_url("files", path, "occurrences") + view.query(count=None, metric=None, **filters.params()),
        )
    return Tree(
        page,
        path,
        series,
        tuple(counts.children_places(session, release, path, view.metric, view.count)),
        table,
        scope,
        sections.path_commits(session, view, release, where, f"/{path}/", twin) if path else None,
        api_url("tree", path) + view.query(),
    )


@dataclass(frozen=True)
class ReleaseLine:
    release: releases.ReleaseRef
    value: int
    change: int | None  # since `before`, the release before it on its line
    before: releases.ReleaseRef | None


@dataclass(frozen=True)
class Releases:
    frame: Frame
    groups: tuple[tuple[str, tuple[ReleaseLine, ...]], ...]  # by line, newest first
    repository: RepositoryView  # how its tags make lines, and where its links go


def release_list(session: Session, view: View) -> Releases:
    page = sections.frame(session, view)
    totals = counts.path_series(session, "", view.metric, view.count)
    value = dict(zip((r.id for r in page.releases), totals, strict=True))
    groups = []
    for label, members in page.release_groups:
        rows = []
        for r in members:
            before = releases.previous_release(session, r)
            rows.append(ReleaseLine(r, value[r.id], value[r.id] - value[before.id] if before else None, before))
        groups.append((label, tuple(rows)))
    return Releases(page, tuple(groups), repository.repository(session))


@dataclass(frozen=True)
class OccurrenceSummary:
    """A page of the per-file summary of added and removed occurrences, and one file's occurrences. The whole
    list is in the API (/api/v1/compare/occurrences, JSON or CSV)."""

    files: tuple[occurrences.FileOccurrenceChanges, ...]  # this page's
    file_count: int
    count: int  # occurrences added or removed, in every file
    page: int
    pages: int
    file: str | None  # the file opened
    of_file: tuple[occurrences.OccurrenceChange, ...]


def occurrence_summary(
    session: Session, view: View, older: releases.ReleaseRef, newer: releases.ReleaseRef, page: int, file: str | None
) -> OccurrenceSummary:
    files = occurrences.occurrence_change_summary(session, older, newer, view.metric)
    pages = max(1, -(-len(files) // SUMMARY_PAGE))
    page = min(page, pages)
    return OccurrenceSummary(
        files[(page - 1) * SUMMARY_PAGE : page * SUMMARY_PAGE],
        len(files),
        sum(f.added + f.removed for f in files),
        page,
        pages,
        file,
        occurrences.occurrence_changes(session, older, newer, view.metric, file) if file else (),
    )


@dataclass(frozen=True)
class Changes:
    """What moved from the older release to the newer one."""

    total_before: int
    total_after: int
    subsystems: tuple[counts.Place, ...]
    files: changes.TopFileChanges
    top: int
    occurrences: OccurrenceSummary
    commits: CommitsSection
    fixes: FixesSection


@dataclass(frozen=True)
class Comparison:
    """A release against the one before it (its release page), or any two releases; `changes` is None when
    there is no older release: the first release's page."""

    frame: Frame
    older: releases.ReleaseRef | None
    newer: releases.ReleaseRef
    context: ContextTable
    scopes: ScopeSection
    changes: Changes | None


def comparison(
    session: Session,
    view: View,
    older: releases.ReleaseRef | None,
    newer: releases.ReleaseRef,
    filters: ContextFilter,
    page: int = 1,
    file: str | None = None,
) -> Comparison:
    """`view` is at the newer release."""
    shown = sections.frame(session, view)
    table = sections.context_table(session, view, newer, filters, release_url(newer.tag), places.EVERYWHERE)
    scope = sections.scope_section(session, view, newer, places.EVERYWHERE)
    if older is None:
        return Comparison(shown, None, newer, table, scope, None)
    totals = counts.path_series(session, "", view.metric, view.count)
    position = releases.positions(session)
    moved = Changes(
        totals[position[older.id]],
        totals[position[newer.id]],
        changes.subsystem_changes(session, older, newer, view.metric, view.count),
        changes.top_file_changes(session, older, newer, view.metric, view.count, TOP_CHANGES),
        TOP_CHANGES,
        occurrence_summary(session, view, older, newer, page, file),
        sections.commits_section(session, view, older, newer),
        sections.fixes_section(session, view, older, newer),
    )
    return Comparison(shown, older, newer, table, scope, moved)


@dataclass(frozen=True)
class About:
    releases: tuple[releases.ReleaseRef, ...]


def about(session: Session) -> About:
    return About(releases.releases(session))


@dataclass(frozen=True)
class Empty:
    """The page of a database that holds no release yet."""


@dataclass(frozen=True)
class Problem:
    """An error page: what went wrong, in a title and a sentence."""

    title: str
    detail: str
