"""HTML pages and their htmx partials: each route reads the request, builds its page (app/web/page_contexts.py)
and renders it."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.queries import releases
from app.request import ContextFilterDep, SessionDep, View, ViewDep
from app.web import page_contexts, sections
from app.web.rendering import render, render_macro

router = APIRouter()


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@router.get("/", summary="Overview")
def overview(request: Request, session: SessionDep, view: ViewDep) -> Response:
    if not releases.releases(session):
        return render(request, "empty.html", page_contexts.Empty())
    return render(request, "overview.html", page_contexts.overview(session, view))


@router.get("/subsystems", summary="MAINTAINERS subsystems, filterable and sortable")
def subsystems(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    q: str = Query("", max_length=200),
    sort: str = Query("value", pattern=f"^({'|'.join(sections.SORTS)})$"),
) -> Response:
    page = page_contexts.subsystems(session, view, q, sort)
    if _is_htmx(request):
        return render_macro(request, "partials/_subsystem_table.html", "subsystem_table", page.table, view)
    return render(request, "subsystems.html", page)


@router.get("/subsystems/{name:path}", summary="One MAINTAINERS subsystem")
def subsystem(request: Request, session: SessionDep, view: ViewDep, name: str, filters: ContextFilterDep) -> Response:
    return render(request, "subsystem.html", page_contexts.subsystem(session, view, name, filters))


@router.get("/tree", summary="The whole tree")
@router.get("/tree/{path:path}", summary="A directory or a file")
def tree(request: Request, session: SessionDep, view: ViewDep, filters: ContextFilterDep, path: str = "") -> Response:
    page = page_contexts.tree(session, view, path, filters)
    return render(request, "file.html" if isinstance(page, page_contexts.File) else "tree.html", page)


@router.get("/releases", summary="Every ingested release")
def release_list(request: Request, session: SessionDep, view: ViewDep) -> Response:
    return render(request, "releases.html", page_contexts.release_list(session, view))


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
    at_newer = View(view.metric, view.count, tag)
    page = page_contexts.comparison(session, at_newer, older, newer, filters, details.page, details.file)
    return render(request, "release.html", page)


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
    at_newer = View(view.metric, view.count, newer.tag)
    page = page_contexts.comparison(session, at_newer, older, newer, filters, details.page, details.file)
    return render(request, "release.html", page)


@router.get("/about", summary="How every number is counted")
def about(request: Request, session: SessionDep) -> Response:
    return render(request, "about.html", page_contexts.about(session))
