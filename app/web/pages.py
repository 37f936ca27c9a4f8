"""HTML pages and their htmx partials. Every number comes from app.queries."""

from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.links import api_url, release_url, subsystem_url, tree_url
from app.metrics import METRICS, Count
from app.queries import attribution, changes, context, counts, fixes, occurrences, places, releases, scopes
from app.queries.attribution import CommitView
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
    release: releases.ReleaseRef,
    filters: ContextFilter,
    here: str,
    where: places.Where,
) -> dict[str, Any]:
    """The context table's variables (partials/_context.html): the breakdown and its JSON twin."""
    found = context.context_breakdown(session, release, view.metric, where, filters.callee, filters.flag)
    twin = api_url("context") + view.query(path=where.path, subsystem=where.subsystem, **filters.params())
    return {"ctx": found, "here": here, "ctx_twin": twin}


def _scopes(
    session: SessionDep,
    view: View,
    release: releases.ReleaseRef,
    where: places.Where,
) -> dict[str, Any]:
    """The scope section's variables (partials/_scopes.html): the summary, the first findings, the place's
    redundant uses at each release read along the axis, and the JSON twin."""
    return {
        "scopes": scopes.summary(session, release, where),
        "scope_rows": scopes.findings(session, release, where, limit=SCOPE_ROWS),
        "scope_subsystems": SCOPE_SUBSYSTEMS,
        "scope_history": scopes.series(session, releases.upto(session, release), where),
        "scopes_twin": api_url("scopes")
        + view.query(metric=None, count=None, release=release.tag, path=where.path, subsystem=where.subsystem),
    }


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _context(session: SessionDep, view: View, **extra: Any) -> dict[str, Any]:
    release = releases.release_ref(session, view.tag)
    return {
        "view": view,
        "release": release,
        "previous": releases.previous_release(session, release),
        "releases": releases.releases(session),
        "release_groups": releases.release_groups(session),
        "axis": releases.upto(session, release),
        "axis_label": releases.axis_label(session, release),
        **extra,
    }


def _headline(session: SessionDep, path: str, metric_key: str, count: Count, release: releases.ReleaseRef) -> dict:
    series = _series(session, counts.path_series(session, path, METRICS[metric_key], count), release)
    return {
        "value": series[-1],
        "since_previous": series[-1] - series[-2] if len(series) > 1 else None,
        "since_first": series[-1] - series[0],
        "first": releases.upto(session, release)[0].tag,
        "series": series,
    }


def _series(session: SessionDep, values: tuple[int, ...], release: releases.ReleaseRef) -> tuple[int, ...]:
    """A series over every release, along the release's timeline up to it: what its charts draw."""
    return releases.along(session, values, releases.upto(session, release))


def _subsystem_rows(
    session: SessionDep, view: View, q: str, sort: str, charted: int | None = None
) -> list[dict[str, Any]]:
    """The subsystem table's rows; `charted`: how many of the biggest get a sparkline and a projection
    (all of them by default)."""
    release = releases.release_ref(session, view.tag)
    rows = []
    for place in counts.subsystem_places(session, release, view.metric, view.count, charted):
        rows.append({"place": place, "series": place.series, "projection": counts.project(place.series)})
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
    if not releases.releases(session):
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
    total = _series(session, counts.path_series(session, "", view.metric, view.count), release)
    previous = context["previous"]
    movers = changes.file_changes(session, previous, release, view.metric, view.count) if previous else ()
    return render(
        request,
        "overview.html",
        **context,
        headlines=headlines,
        outside=outside,
        projection=counts.project(total),
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
    where = places.where(session, subsystem=name)
    info = places.subsystem_info(session, name, release)
    series = _series(session, counts.subsystem_series(session, name, view.metric, view.count), release)
    return render(
        request,
        "subsystem.html",
        **context,
        info=info,
        series=series,
        projection=counts.project(series),
        files=counts.subsystem_files(session, name, release, view.metric, view.count),
        json_twin=api_url("subsystems", name, "history") + view.query(),
        commits=attribution.commits_up_to(session, view.metric, view.count, CommitView.COMMITS, release, where),
        commits_twin=api_url("subsystems", name, "commits") + view.query(),
        splits=_splits(session, view, release, where),
        **_fixes(session, view, releases.upto(session, release)[0], release, where),
        **_context_table(session, view, release, filters, subsystem_url(name), where),
        **_scopes(session, view, release, where),
    )


def _splits(session: SessionDep, view: View, release: releases.ReleaseRef, where: places.Where) -> list[dict[str, Any]]:
    """The change split of a path or subsystem since the previous release and since the first one."""
    every = releases.releases_between(session, None, release)
    previous = releases.previous_release(session, release)
    result = []
    if previous is not None:
        last = releases.releases_between(session, previous, release)
        split = attribution.change_split(session, view.metric, last, where)
        result.append({"where": f"from {previous.tag} to {release.tag}", "split": split})
    if len(every) > 2:
        split = attribution.change_split(session, view.metric, every, where)
        result.append({"where": f"from {every[0].tag} to {release.tag}", "split": split})
    return [s for s in result if s["split"] is not None]


def _fixes(
    session: SessionDep,
    view: View,
    older: releases.ReleaseRef,
    newer: releases.ReleaseRef,
    where: places.Where = places.EVERYWHERE,
) -> dict[str, Any]:
    """The conversions of the intervals after `older` up to `newer` that needed a fix (partials/_fixes.html),
    and the JSON twin that asks the same."""
    within = releases.releases_between(session, older, newer)
    found = fixes.needed_fixes(session, view.metric, view.count, within, where)
    twin = api_url("fixes") + view.query(
        release=newer.tag, subsystem=where.subsystem, path=where.path, **{"from": older.tag}
    )
    return {"fixes": found, "fixes_twin": twin, "fixes_from": older}


def _crumbs(path: str) -> list[tuple[str, str]]:
    parts = path.split("/") if path else []
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


@router.get("/tree", summary="The whole tree")
@router.get("/tree/{path:path}", summary="A directory or a file")
def tree(request: Request, session: SessionDep, view: ViewDep, filters: ContextFilterDep, path: str = "") -> Response:
    path = places.known_path(session, path)
    context = _context(session, view)
    found = places.path_id(session, path)
    release = context["release"]
    series = _series(session, counts.path_series(session, path, view.metric, view.count), release)
    common = {**context, "path": path, "crumbs": _crumbs(path), "series": series}
    where = places.Where(path or None)
    common |= _context_table(session, view, release, filters, tree_url(path), where)
    common |= _scopes(session, view, release, where)
    if path:  # the whole tree's page lists no commits: every commit would be there
        common["commits"] = attribution.commits_up_to(
            session, view.metric, view.count, CommitView.COMMITS, release, where
        )
        common["commits_twin"] = api_url("files", path, "commits") + view.query()
        common["splits"] = _splits(session, view, release, where)
    if found is not None and not found[1]:
        rows = occurrences.in_file(session, release, path, filters.callee, filters.flag)
        every = len(occurrences.in_file(session, release, path))
        json_twin = api_url("files", path, "occurrences") + view.query(count=None, metric=None, **filters.params())
        marks: dict[int, list[scopes.FindingRow]] = {}
        for row in scopes.findings(session, release, where):  # all of them, however many the list shows
            marks.setdefault(row.line, []).append(row)
        return render(
            request,
            "file.html",
            **common,
            occurrences=rows,
            every=every,
            filters=filters,
            json_twin=json_twin,
            marks=marks,
        )
    children = counts.children_places(session, release, path, view.metric, view.count)
    return render(request, "tree.html", **common, children=children, json_twin=api_url("tree", path) + view.query())


@router.get("/releases", summary="Every ingested release")
def release_list(request: Request, session: SessionDep, view: ViewDep) -> Response:
    context = _context(session, view)
    totals = counts.path_series(session, "", view.metric, view.count)
    value = dict(zip((r.id for r in context["releases"]), totals, strict=True))
    groups = []
    for label, members in context["release_groups"]:
        rows = []
        for r in members:
            before = releases.previous_release(session, r)
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
    newer = releases.release_ref(session, tag)
    older = releases.previous_release(session, newer)
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
    older, newer = releases.release_ref(session, from_), releases.release_ref(session, to)
    return _comparison(request, session, View(view.metric, view.count, newer.tag), older, newer, details, filters)


def _comparison(
    request: Request,
    session: SessionDep,
    view: View,
    older: releases.ReleaseRef | None,
    newer: releases.ReleaseRef,
    details: Details,
    filters: ContextFilter,
) -> Response:
    context = _context(session, view)
    context |= _context_table(session, view, newer, filters, release_url(newer.tag), places.EVERYWHERE)
    context |= _scopes(session, view, newer, places.EVERYWHERE)
    if older is None:
        return render(request, "release.html", **context, older=None, newer=newer)
    totals = counts.path_series(session, "", view.metric, view.count)
    known = context["releases"]
    return render(
        request,
        "release.html",
        **context,
        older=older,
        newer=newer,
        total_before=totals[known.index(older)],
        total_after=totals[known.index(newer)],
        subsystem_changes=changes.subsystem_changes(session, older, newer, view.metric, view.count),
        file_changes=changes.top_file_changes(session, older, newer, view.metric, view.count, TOP_CHANGES),
        top=TOP_CHANGES,
        occurrences=_occurrence_page(session, older, newer, view, details),
        who=_who(session, view, older, newer),
        **_fixes(session, view, older, newer),
    )


def _occurrence_page(
    session: SessionDep, older: releases.ReleaseRef, newer: releases.ReleaseRef, view: View, details: Details
) -> dict[str, Any]:
    """A page of the per-file summary of added and removed occurrences, and one file's occurrences."""
    files = occurrences.occurrence_change_summary(session, older, newer, view.metric)
    pages = max(1, -(-len(files) // SUMMARY_PAGE))
    page = min(details.page, pages)
    return {
        "files": files[(page - 1) * SUMMARY_PAGE : page * SUMMARY_PAGE],
        "file_count": len(files),
        "count": sum(f.added + f.removed for f in files),
        "page": page,
        "pages": pages,
        "file": details.file,
        "of_file": (
            occurrences.occurrence_changes(session, older, newer, view.metric, details.file) if details.file else []
        ),
    }


def _who(session: SessionDep, view: View, older: releases.ReleaseRef, newer: releases.ReleaseRef) -> dict[str, Any]:
    """The commits section: top commits both ways, first-parent steps, authors, and their sum.

    `within` is empty for a comparison backwards in time: it has no commits to show."""
    within = releases.releases_between(session, older, newer)
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
    return render(request, "about.html", view=None, releases=releases.releases(session))
