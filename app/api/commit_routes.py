"""/api/v1 lists of the commits and merges that moved a metric: per release, subsystem and path."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field

from app.api import answers
from app.api.answers import at_release, commit_out
from app.api.common import CSV, ERRORS, Format, Limit, Offset, paging, respond, view_rule
from app.api.schemas import AuthorOut, ChangeKindsOut, CommitOut, FixPage, Page
from app.queries import attribution, places, releases, repository
from app.queries.attribution import CommitView, Order
from app.request import SessionDep, View, ViewDep

router = APIRouter(responses=ERRORS)

ViewParam = Annotated[
    CommitView,
    Query(
        alias="view",
        description="commits: what each commit did itself (a merge: its conflict resolution); merges: each "
        "step along the first-parent line, a merge's whole pull",
    ),
]
OrderParam = Annotated[Order, Query(description="date (newest first), step, lowered or raised (by net effect)")]


@dataclass
class CommitListParams:
    """How a list of commits is asked for: which view, in which order, which page, which format."""

    commit_view: ViewParam = CommitView.COMMITS
    order: OrderParam = Order.DATE
    limit: Limit = 100
    offset: Offset = 0
    format: Format = None


ListParams = Annotated[CommitListParams, Depends()]


class CommitPage(Page[CommitOut]):
    since: str | None = Field(default=None, description="the previous release: the interval is since -> release")
    commits_walked: int | None = Field(default=None, description="commits in the interval, whatever they changed")
    attributed: bool = Field(default=True, description="false when the interval is not attributed (yet)")


@router.get(
    "/releases/{tag}/commits",
    response_model=CommitPage,
    summary="The commits or first-parent merges that moved the metric since the previous release",
    responses=CSV,
)
def release_commits(request: Request, session: SessionDep, tag: str, view: ViewDep, asked: ListParams) -> Response:
    release = releases.release_ref(session, tag)
    info = attribution.interval(session, release)
    rows = attribution.commit_rows(session, view.metric, view.count, asked.commit_view, (release,))
    links = repository.links(session)
    items = [commit_out(r, links) for r in attribution.ordered(rows, asked.order)]
    page = paging(request, asked.limit, asked.offset).page(items, **at_release(release), **view_rule(view))
    body = CommitPage(
        **page,
        since=info.from_tag if info else None,
        commits_walked=info.commits_walked if info else None,
        attributed=attribution.attributed_between(session, (release,)),
    )
    return respond(request, session, body, asked.format)


@router.get(
    "/releases/{tag}/authors",
    response_model=Page[AuthorOut],
    summary="Authors of the commits that moved the metric since the previous release",
    responses=CSV,
)
def release_authors(
    request: Request,
    session: SessionDep,
    tag: str,
    view: ViewDep,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
) -> Response:
    release = releases.release_ref(session, tag)
    rows = attribution.commit_rows(session, view.metric, view.count, CommitView.COMMITS, (release,))
    items = [
        AuthorOut(
            name=a.name, email=a.email, commits=a.commits, converted=a.converted, lowered=a.removed, raised=a.added
        )
        for a in attribution.authors(rows)
    ]
    page = paging(request, limit, offset).page(items, **at_release(release), **view_rule(view))
    return respond(request, session, Page[AuthorOut](**page), format)


def _scoped_commits(
    request: Request, session: SessionDep, view: View, asked: CommitListParams, where: places.Where
) -> Response:
    """The commits up to the asked-for release that changed a place."""
    release = releases.release_ref(session, view.tag)
    rows = attribution.commits_up_to(session, view.metric, view.count, asked.commit_view, release, where)
    links = repository.links(session)
    items = [commit_out(r, links) for r in attribution.ordered(rows, asked.order)]
    page = paging(request, asked.limit, asked.offset).page(items, **at_release(release), **view_rule(view))
    return respond(request, session, Page[CommitOut](**page), asked.format)


@router.get(
    "/subsystems/{name:path}/commits",
    response_model=Page[CommitOut],
    summary="The commits (or first-parent merges) that changed a subsystem's files, newest first",
    responses=CSV,
)
def subsystem_commits(request: Request, session: SessionDep, name: str, view: ViewDep, asked: ListParams) -> Response:
    return _scoped_commits(request, session, view, asked, places.where(session, subsystem=name))


@router.get(
    "/files/{path:path}/commits",
    response_model=Page[CommitOut],
    summary="The commits (or first-parent merges) that changed a file or anything below a directory",
    responses=CSV,
)
def path_commits(request: Request, session: SessionDep, path: str, view: ViewDep, asked: ListParams) -> Response:
    return _scoped_commits(request, session, view, asked, places.where(session, path))


@router.get(
    "/change-kinds",
    response_model=ChangeKindsOut,
    summary="The change in uses between two releases split by kind: converted, removed with its code, moved, added",
)
def change_kinds(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    to: Annotated[str | None, Query(max_length=255, description="the newer release (the newest when absent)")] = None,
    from_: Annotated[
        str | None, Query(alias="from", max_length=255, description="the older release (the one before `to`)")
    ] = None,
    path: Annotated[
        str | None, Query(max_length=4096, description="a directory (with all below it) or a file; else the tree")
    ] = None,
    subsystem: Annotated[str | None, Query(max_length=512, description="a MAINTAINERS subsystem")] = None,
) -> Response:
    asked = releases.interval_between(session, from_, to or view.tag)
    where = places.where(session, path, subsystem)
    return respond(request, session, answers.change_kinds(session, view.metric, asked, where))


@router.get(
    "/fixes",
    response_model=FixPage,
    summary="Conversions that needed a fix: commits that moved the metric the way it should go, named by a later "
    "commit's Fixes: trailer",
    responses=CSV,
)
def needed_fixes(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    from_: Annotated[
        str | None,
        Query(alias="from", max_length=255, description="from this release (the release's own interval when absent)"),
    ] = None,
    subsystem: Annotated[str | None, Query(max_length=512, description="in this MAINTAINERS subsystem")] = None,
    path: Annotated[str | None, Query(max_length=4096, description="in this file, or below this directory")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
) -> Response:
    asked = releases.interval_between(session, from_ or None, view.tag)
    where = places.where(session, path, subsystem)
    body = answers.fix_page(session, view.metric, view.count, asked, where, paging(request, limit, offset))
    return respond(request, session, body, format)
