"""/api/v1 lists of the commits and merges that moved a metric: per release, subsystem and path."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field

from app import attribution, fixes, queries
from app.api.common import CSV, ERRORS, Format, Limit, Offset, at_release, context_of, page_of, respond
from app.api.schemas import AuthorOut, ChangeKindsOut, ChangeSplitOut, CommitOut, FixOut, FixPage, Page
from app.attribution import CommitRow, CommitView, Order
from app.change_rules import CHANGE_RULE_TEXT, ChangeSplit
from app.errors import NotFound
from app.request import BadParameter, SessionDep, View, ViewDep

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
ReleaseParam = Annotated[str | None, Query(max_length=255, description="up to this release (the newest when absent)")]


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


def commit_out(row: CommitRow) -> CommitOut:
    return CommitOut(
        release=row.release,
        commit=row.commit,
        url=attribution.commit_url(row.commit),
        subject=row.subject,
        author_name=row.author_name,
        author_email=row.author_email,
        authored_at=row.authored_at,
        merge=row.merge,
        step=row.step,
        files=row.files,
        added=row.added,
        removed=row.removed,
        net=row.net,
        links=" ".join(row.links),
        **(row.split._asdict() if row.split is not None else {}),
        fixed_by=" ".join(f.commit for f in row.fixed_by),
        fixes=" ".join(f.commit for f in row.fixes),
    )


def split_out(split: ChangeSplit | None) -> ChangeSplitOut | None:
    return None if split is None else ChangeSplitOut(**split._asdict(), net=split.net)


@router.get(
    "/releases/{tag}/commits",
    response_model=CommitPage,
    summary="The commits or first-parent merges that moved the metric since the previous release",
    responses=CSV,
)
def release_commits(request: Request, session: SessionDep, tag: str, view: ViewDep, asked: ListParams):
    release = queries.release_ref(session, tag)
    info = attribution.interval(session, release)
    rows = attribution.commit_rows(session, view.metric, view.count, asked.commit_view, (release,))
    items = [commit_out(r) for r in attribution.ordered(rows, asked.order)]
    page = page_of(request, items, asked.limit, asked.offset, **at_release(release), **context_of(view))
    extra = {
        "since": info.from_tag if info else None,
        "commits_walked": info.commits_walked if info else None,
        "attributed": attribution.attributed_between(session, (release,)),
    }
    return respond(request, session, CommitPage(**page, **extra), asked.format)


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
):
    release = queries.release_ref(session, tag)
    rows = attribution.commit_rows(session, view.metric, view.count, CommitView.COMMITS, (release,))
    items = [
        AuthorOut(
            name=a.name, email=a.email, commits=a.commits, converted=a.converted, lowered=a.removed, raised=a.added
        )
        for a in attribution.authors(rows)
    ]
    page = page_of(request, items, limit, offset, **at_release(release), **context_of(view))
    return respond(request, session, Page[AuthorOut](**page), format)


def _scoped_commits(
    request: Request, session: SessionDep, view: View, asked: CommitListParams, **scope: str
) -> Response:
    """The commits up to the asked-for release that changed a path or a subsystem (`scope`)."""
    release = queries.release_ref(session, view.tag)
    rows = attribution.commits_up_to(session, view.metric, view.count, asked.commit_view, release, **scope)
    items = [commit_out(r) for r in attribution.ordered(rows, asked.order)]
    page = page_of(request, items, asked.limit, asked.offset, **at_release(release), **context_of(view))
    return respond(request, session, Page[CommitOut](**page), asked.format)


@router.get(
    "/subsystems/{name:path}/commits",
    response_model=Page[CommitOut],
    summary="The commits (or first-parent merges) that changed a subsystem's files, newest first",
    responses=CSV,
)
def subsystem_commits(request: Request, session: SessionDep, name: str, view: ViewDep, asked: ListParams):
    return _scoped_commits(request, session, view, asked, subsystem=queries.known_subsystem(session, name))


@router.get(
    "/files/{path:path}/commits",
    response_model=Page[CommitOut],
    summary="The commits (or first-parent merges) that changed a file or anything below a directory",
    responses=CSV,
)
def path_commits(request: Request, session: SessionDep, path: str, view: ViewDep, asked: ListParams):
    return _scoped_commits(request, session, view, asked, path=queries.known_path(session, path))


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
):
    newer = queries.release_ref(session, to or view.tag)
    older = queries.release_ref(session, from_) if from_ is not None else queries.previous_release(session, newer)
    if older is None:
        raise NotFound(f"{newer.tag} is the first ingested release: nothing to compare it with")
    path = queries.known_path(session, path) if path is not None else None
    subsystem = queries.known_subsystem(session, subsystem) if subsystem is not None else None
    within = attribution.releases_between(session, older, newer)
    if not within:
        raise BadParameter(f"{older.tag} is not an older release on {newer.tag}'s line")
    split = attribution.change_split(session, view.metric, within, path=path, subsystem=subsystem)
    body = ChangeKindsOut(
        **{"from": older.tag},
        to=newer.tag,
        metric=view.metric.key,
        path=path,
        subsystem=subsystem,
        split=split_out(split),
        rule=CHANGE_RULE_TEXT,
    )
    return respond(request, session, body)


def fix_rows(found: fixes.NeededFixes) -> list[FixOut]:
    return [
        FixOut(
            release=row.release,
            commit=row.commit,
            url=attribution.commit_url(row.commit),
            subject=row.subject,
            author_name=row.author_name,
            authored_at=row.authored_at,
            net=row.net,
            fix_commit=fix.commit,
            fix_url=attribution.commit_url(fix.commit),
            fix_subject=fix.subject or "",
            fix_release=fix.release or "",
        )
        for row in found.rows
        for fix in row.fixed_by
    ]


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
):
    release = queries.release_ref(session, view.tag)
    older = queries.release_ref(session, from_) if from_ else queries.previous_release(session, release)
    scope = {
        "subsystem": queries.known_subsystem(session, subsystem) if subsystem else None,
        "path": queries.known_path(session, path) if path else None,
    }
    within = attribution.releases_between(session, older, release)
    found = fixes.needed_fixes(session, view.metric, view.count, within, **scope)
    page = page_of(request, fix_rows(found), limit, offset, **at_release(release), **context_of(view))
    extra = {
        "since": older.tag if older else None,
        "conversions": found.conversions,
        "fixed": len(found.rows),
        "read_upto": found.read_upto,
        "rule": found.rule,
    }
    return respond(request, session, FixPage(**page, **extra), format)
