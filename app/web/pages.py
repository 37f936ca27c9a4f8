"""HTML pages and their htmx partials. Every number comes from app.queries."""

from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app import attribution, fixes, queries, scopes
from app.attribution import CommitView
from app.links import api_url, release_url, subsystem_url, tree_url
from app.metrics import METRICS, Count
from app.request import ContextFilter, ContextFilterDep, SessionDep, View, ViewDep
from app.web.rendering import render

router = APIRouter()

MOVERS: Final = 10
OVERVIEW_SUBSYSTEMS: Final = 40  # subsystem rows on the overview; all of them are on /subsystems
TOP_CHANGES: Final = 25  # subsystems and files listed on a comparison; the rest are in its JSON/CSV twin
SUMMARY_PAGE: Final = 50  # files a page of the occurrence summary lists
TOP_COMMITS: Final = 10
SCOPE_ROWS: Final = 50  # findings a page lists; every one is in its JSON/CSV twin
SCOPE_SUBSYSTEMS: Final = 10  # subsystems the whole tree's scope section lists


def _context_table(
    session: SessionDep,
    view: View,
    release: queries.ReleaseRef,
    filters: ContextFilter,
    here: str,
    path: str | None = None,
    subsystem: str | None = None,
) -> dict[str, Any]:
    """The context table's variables (partials/_context.html): the breakdown and its JSON twin."""
    found = queries.context_breakdown(session, release, view.metric, path, subsystem, filters.callee, filters.flag)
    twin = api_url("context") + view.query(path=path, subsystem=subsystem, **filters.params())
    return {"ctx": found, "here": here, "ctx_twin": twin}


def _scopes(
    session: SessionDep,
    view: View,
    release: queries.ReleaseRef,
    path: str | None = None,
    subsystem: str | None = None,
) -> dict[str, Any]:
    """The scope section's variables (partials/_scopes.html): the summary, the first findings, the place's
    redundant uses at each release read along the axis, and the JSON twin."""
    return {
        "scopes": scopes.summary(session, release, path, subsystem),
        "scope_rows": scopes.findings(session, release, path, subsystem, limit=SCOPE_ROWS),
        "scope_subsystems": SCOPE_SUBSYSTEMS,
        "scope_history": scopes.series(session, queries.upto(session, release), path, subsystem),
        "scopes_twin": api_url("scopes")
        + view.query(metric=None, count=None, release=release.tag, path=path, subsystem=subsystem),
    }


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _context(session: SessionDep, view: View, **extra: Any) -> dict[str, Any]:
    release = queries.release_ref(session, view.tag)
    return {
        "view": view,
        "release": release,
        "previous": queries.previous_release(session, release),
        "releases": queries.releases(session),
        "release_groups": queries.release_groups(session),
        "axis": queries.upto(session, release),
        "axis_label": queries.axis_label(session, release),
        **extra,
    }


def _headline(session: SessionDep, path: str, metric_key: str, count: Count, release: queries.ReleaseRef) -> dict:
    series = _series(session, queries.path_series(session, path, METRICS[metric_key], count), release)
    return {
        "value": series[-1],
        "since_previous": series[-1] - series[-2] if len(series) > 1 else None,
        "since_first": series[-1] - series[0],
        "first": queries.upto(session, release)[0].tag,
        "series": series,
    }


def _series(session: SessionDep, values: tuple[int, ...], release: queries.ReleaseRef) -> tuple[int, ...]:
    """A series over every release, along the release's timeline up to it: what its charts draw."""
    return queries.along(session, values, queries.upto(session, release))


def _subsystem_rows(
    session: SessionDep, view: View, q: str, sort: str, charted: int | None = None
) -> list[dict[str, Any]]:
    """The subsystem table's rows; `charted`: how many of the biggest get a sparkline and a projection
    (all of them by default)."""
    release = queries.release_ref(session, view.tag)
    rows = []
    for place in queries.subsystem_places(session, release, view.metric, view.count, charted):
        rows.append({"place": place, "series": place.series, "projection": queries.project(place.series)})
    needle = q.strip().lower()
    if needle:
        rows = [r for r in rows if needle in r["place"].name.lower()]
    keys = {
        "value": lambda r: (-r["place"].value, r["place"].name),
        "change": lambda r: (r["place"].change, r["place"].name),
        "name": lambda r: r["place"].name.lower(),
        "zero": lambda r: (r["projection"].releases_to_zero is None, r["projection"].releases_to_zero or 0),
    }
    return sorted(rows, key=keys[sort])


@router.get("/", summary="Overview")
def overview(request: Request, session: SessionDep, view: ViewDep) -> Response:
    if not queries.releases(session):
        return render(request, "empty.html")
    context = _context(session, view)
    release = context["release"]
    headlines = {
        "nofs_fs": _headline(session, "fs", "GFP_NOFS", view.count, release),
        "nofs_all": _headline(session, "", "GFP_NOFS", view.count, release),
        "noio": _headline(session, "", "GFP_NOIO", view.count, release),
        "scoped": _headline(session, "", "scoped", view.count, release),
    }
    outside = {
        key: (headlines["nofs_all"][key] - headlines["nofs_fs"][key])
        if headlines["nofs_all"][key] is not None
        else None
        for key in ("value", "since_previous", "since_first")
    }
    total = _series(session, queries.path_series(session, "", view.metric, view.count), release)
    previous = context["previous"]
    movers = queries.file_changes(session, previous, release, view.metric, view.count) if previous else ()
    return render(
        request,
        "overview.html",
        **context,
        headlines=headlines,
        outside=outside,
        projection=queries.project(total),
        total=total,
        fewer=[m for m in movers if m.change < 0][:MOVERS],
        more=[m for m in movers if m.change > 0][:MOVERS],
        rows=_subsystem_rows(session, view, "", "value", OVERVIEW_SUBSYSTEMS),
        json_twin=api_url("subsystems") + view.query(),
        q="",
        sort="value",
        limit=OVERVIEW_SUBSYSTEMS,
    )


@router.get("/subsystems", summary="MAINTAINERS subsystems, filterable and sortable")
def subsystems(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    q: str = Query("", max_length=200),
    sort: str = Query("value", pattern="^(value|change|name|zero)$"),
) -> Response:
    context = _context(session, view)
    rows = _subsystem_rows(session, view, q, sort)
    template = "partials/_subsystem_table.html" if _is_htmx(request) else "subsystems.html"
    twin = api_url("subsystems") + view.query()
    return render(request, template, **context, rows=rows, q=q, sort=sort, limit=None, json_twin=twin)


@router.get("/subsystems/{name:path}", summary="One MAINTAINERS subsystem")
def subsystem(request: Request, session: SessionDep, view: ViewDep, name: str, filters: ContextFilterDep) -> Response:
    context = _context(session, view)
    release = context["release"]
    info = queries.subsystem_info(session, queries.known_subsystem(session, name), release)
    series = _series(session, queries.subsystem_series(session, name, view.metric, view.count), release)
    return render(
        request,
        "subsystem.html",
        **context,
        info=info,
        series=series,
        projection=queries.project(series),
        files=queries.subsystem_files(session, name, release, view.metric, view.count),
        json_twin=api_url("subsystems", name, "history") + view.query(),
        commits=attribution.commits_up_to(
            session, view.metric, view.count, CommitView.COMMITS, release, subsystem=name
        ),
        commits_twin=api_url("subsystems", name, "commits") + view.query(),
        splits=_splits(session, view, release, subsystem=name),
        **_fixes(session, view, queries.upto(session, release)[0], release, subsystem=name),
        **_context_table(session, view, release, filters, subsystem_url(name), subsystem=name),
        **_scopes(session, view, release, subsystem=name),
    )


def _splits(session: SessionDep, view: View, release: queries.ReleaseRef, **scope: str) -> list[dict[str, Any]]:
    """The change split of a path or subsystem since the previous release and since the first one."""
    every = attribution.releases_between(session, None, release)
    previous = queries.previous_release(session, release)
    result = []
    if previous is not None:
        last = attribution.releases_between(session, previous, release)
        split = attribution.change_split(session, view.metric, last, **scope)
        result.append({"where": f"from {previous.tag} to {release.tag}", "split": split})
    if len(every) > 2:
        split = attribution.change_split(session, view.metric, every, **scope)
        result.append({"where": f"from {every[0].tag} to {release.tag}", "split": split})
    return [s for s in result if s["split"] is not None]


def _fixes(
    session: SessionDep, view: View, older: queries.ReleaseRef, newer: queries.ReleaseRef, **scope: str
) -> dict[str, Any]:
    """The conversions of the intervals after `older` up to `newer` that needed a fix (partials/_fixes.html),
    and the JSON twin that asks the same."""
    within = attribution.releases_between(session, older, newer)
    found = fixes.needed_fixes(session, view.metric, view.count, within, **scope)
    twin = api_url("fixes") + view.query(release=newer.tag, **scope, **{"from": older.tag})
    return {"fixes": found, "fixes_twin": twin, "fixes_from": older}


def _crumbs(path: str) -> list[tuple[str, str]]:
    parts = path.split("/") if path else []
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


@router.get("/tree", summary="The whole tree")
@router.get("/tree/{path:path}", summary="A directory or a file")
def tree(request: Request, session: SessionDep, view: ViewDep, filters: ContextFilterDep, path: str = "") -> Response:
    path = queries.known_path(session, path)
    context = _context(session, view)
    found = queries.path_id(session, path)
    release = context["release"]
    series = _series(session, queries.path_series(session, path, view.metric, view.count), release)
    common = {**context, "path": path, "crumbs": _crumbs(path), "series": series}
    common |= _context_table(session, view, release, filters, tree_url(path), path=path or None)
    common |= _scopes(session, view, release, path=path or None)
    if path:  # the whole tree's page lists no commits: every commit would be there
        common["commits"] = attribution.commits_up_to(
            session, view.metric, view.count, CommitView.COMMITS, release, path=path
        )
        common["commits_twin"] = api_url("files", path, "commits") + view.query()
        common["splits"] = _splits(session, view, release, path=path)
    if found is not None and not found[1]:
        occurrences = queries.occurrences(session, release, path, filters.callee, filters.flag)
        every = len(queries.occurrences(session, release, path))
        json_twin = api_url("files", path, "occurrences") + view.query(count=None, metric=None, **filters.params())
        marks: dict[int, list[scopes.FindingRow]] = {}
        for row in scopes.findings(session, release, path):  # all of them, however many the list shows
            marks.setdefault(row.line, []).append(row)
        return render(
            request,
            "file.html",
            **common,
            occurrences=occurrences,
            every=every,
            filters=filters,
            json_twin=json_twin,
            marks=marks,
        )
    children = queries.children_places(session, release, path, view.metric, view.count)
    return render(request, "tree.html", **common, children=children, json_twin=api_url("tree", path) + view.query())


@router.get("/releases", summary="Every ingested release")
def release_list(request: Request, session: SessionDep, view: ViewDep) -> Response:
    context = _context(session, view)
    totals = queries.path_series(session, "", view.metric, view.count)
    value = dict(zip((r.id for r in context["releases"]), totals, strict=True))
    groups = []
    for label, members in context["release_groups"]:
        rows = []
        for r in members:
            before = queries.previous_release(session, r)
            rows.append((r, value[r.id], value[r.id] - value[before.id] if before else None, before))
        groups.append((label, rows))
    return render(request, "releases.html", **context, groups=groups)


@dataclass(frozen=True)
class Details:
    """Which part of a long comparison a page shows: a page of its per-file occurrence summary, and the
    occurrences of one file. The whole list is in the API (/api/v1/compare/occurrences, JSON or CSV)."""

    page: int = Query(1, ge=1, le=100_000, description="page of the per-file summary of added/removed occurrences")
    file: str | None = Query(None, max_length=4096, description="list this file's added and removed occurrences")


DetailsDep = Annotated[Details, Depends()]


@router.get("/releases/{tag}", summary="What changed in a release since the one before")
def release_page(
    request: Request, session: SessionDep, view: ViewDep, tag: str, details: DetailsDep, filters: ContextFilterDep
) -> Response:
    newer = queries.release_ref(session, tag)
    older = queries.previous_release(session, newer)
    return _comparison(request, session, View(view.metric, view.count, tag), older, newer, details, filters)


@router.get("/compare", summary="What changed between any two releases")
def compare(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    details: DetailsDep,
    filters: ContextFilterDep,
    from_: str = Query(..., alias="from", max_length=255),
    to: str = Query(..., max_length=255),
) -> Response:
    older, newer = queries.release_ref(session, from_), queries.release_ref(session, to)
    return _comparison(request, session, View(view.metric, view.count, newer.tag), older, newer, details, filters)


def _comparison(
    request: Request,
    session: SessionDep,
    view: View,
    older: queries.ReleaseRef | None,
    newer: queries.ReleaseRef,
    details: Details,
    filters: ContextFilter,
) -> Response:
    context = _context(session, view) | _context_table(session, view, newer, filters, release_url(newer.tag))
    context |= _scopes(session, view, newer)
    if older is None:
        return render(request, "release.html", **context, older=None, newer=newer)
    totals = queries.path_series(session, "", view.metric, view.count)
    known = context["releases"]
    return render(
        request,
        "release.html",
        **context,
        older=older,
        newer=newer,
        total_before=totals[known.index(older)],
        total_after=totals[known.index(newer)],
        subsystem_changes=queries.subsystem_changes(session, older, newer, view.metric, view.count),
        file_changes=queries.top_file_changes(session, older, newer, view.metric, view.count, TOP_CHANGES),
        top=TOP_CHANGES,
        occurrences=_occurrence_page(session, older, newer, view, details),
        who=_who(session, view, older, newer),
        **_fixes(session, view, older, newer),
    )


def _occurrence_page(
    session: SessionDep, older: queries.ReleaseRef, newer: queries.ReleaseRef, view: View, details: Details
) -> dict[str, Any]:
    """A page of the per-file summary of added and removed occurrences, and one file's occurrences."""
    files = queries.occurrence_change_summary(session, older, newer, view.metric)
    pages = max(1, -(-len(files) // SUMMARY_PAGE))
    page = min(details.page, pages)
    return {
        "files": files[(page - 1) * SUMMARY_PAGE : page * SUMMARY_PAGE],
        "file_count": len(files),
        "count": sum(f.added + f.removed for f in files),
        "page": page,
        "pages": pages,
        "file": details.file,
        "of_file": queries.occurrence_changes(session, older, newer, view.metric, details.file) if details.file else [],
    }


def _who(session: SessionDep, view: View, older: queries.ReleaseRef, newer: queries.ReleaseRef) -> dict[str, Any]:
    """The commits section: top commits both ways, first-parent steps, authors, and their sum.

    `within` is empty for a comparison backwards in time: it has no commits to show."""
    within = attribution.releases_between(session, older, newer)
    commits = attribution.commit_effects(session, view.metric, view.count, CommitView.COMMITS, within)
    steps = attribution.step_summary(session, view.metric, view.count, within, TOP_COMMITS)
    intervals = [attribution.interval(session, r) for r in within]
    off_line = [i.from_tag for i in intervals if i is not None and i.from_tag and not i.linear]
    shown = {
        "lowered": attribution.top(commits, lowered=True, limit=TOP_COMMITS),
        "raised": attribution.top(commits, lowered=False, limit=TOP_COMMITS),
        "top_merges": steps.largest,
    }
    # only the rows on the page are read in full: a comparison over a hundred releases ranks ten thousand
    detailed = iter(attribution.with_details(session, [e for rows in shown.values() for e in rows]))
    return {
        "attributed": bool(within) and attribution.attributed_between(session, within),
        "within": within,
        "walked": sum(i.commits_walked for i in intervals if i is not None),
        "commits": commits,
        "steps": steps.steps,
        **{key: [next(detailed) for _ in rows] for key, rows in shown.items()},
        "authors": attribution.authors(commits)[:TOP_COMMITS],
        "step_total": steps.total,
        "split": attribution.change_split(session, view.metric, within),
        "off_line": ", ".join(off_line),
    }


@router.get("/about", summary="How every number is counted")
def about(request: Request, session: SessionDep) -> Response:
    return render(request, "about.html", view=None, releases=queries.releases(session))
