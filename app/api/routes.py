"""/api/v1: the same queries as the pages, as JSON or CSV, cacheable by ETag."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api import answers
from app.api.answers import at_release, count_rows, kind_counts, release_out
from app.api.common import CSV, ERRORS, Format, Limit, Offset, paging, respond, view_rule
from app.api.schemas import (
    ChangeOut,
    Comparison,
    ContextOut,
    Counts,
    CountsRow,
    FileChange,
    FilesystemPage,
    HistoryRow,
    IdentifierOut,
    MetricOut,
    OccurrenceOut,
    Page,
    Registry,
    ReleasePage,
    Summary,
)
from app.metrics import METRICS
from app.queries import changes, counts, occurrences, places, repository, scopes
from app.queries.context import context_breakdown
from app.queries.releases import along, previous_release, release_ref, timeline, upto
from app.queries.releases import releases as every_release
from app.registry import IDENTIFIERS, RULE_TEXT
from app.registry import Counts as KindCounts  # schemas.Counts is the JSON object of them
from app.request import Back, ContextFilterDep, SessionDep, View, ViewDep

router = APIRouter(responses=ERRORS)


@router.get("/releases", response_model=ReleasePage, summary="Every ingested release, oldest first", responses=CSV)
def releases(
    request: Request, session: SessionDep, limit: Limit = 100, offset: Offset = 0, format: Format = None
) -> Response:
    items = [release_out(r) for r in every_release(session)]
    known = repository.repository(session)
    body = ReleasePage(
        **paging(request, limit, offset).page(items),
        lines=known.scheme.value,
        lines_rule=known.rule,
        remote=known.remote,
        links=known.links_rule,
    )
    return respond(request, session, body, format)


@router.get(
    "/releases/{tag}", response_model=Summary, summary="A release's totals for a metric", responses={304: CSV[304]}
)
def summary(request: Request, session: SessionDep, tag: str, view: ViewDep) -> Response:
    release = release_ref(session, tag)
    previous = previous_release(session, release)
    first = upto(session, release)[0]
    whole = counts.place_counts(session, release, "", view.metric)
    value = view.count.of(whole)
    body = Summary(
        release=release_out(release),
        previous=previous.tag if previous else None,
        metric=view.metric.key,
        whole_tree=Counts(**kind_counts(whole)),
        in_fs=Counts(**kind_counts(counts.place_counts(session, release, "fs", view.metric))),
        change_since_previous=value - view.count.of(counts.place_counts(session, previous, "", view.metric))
        if previous
        else None,
        change_since_first=value - view.count.of(counts.place_counts(session, first, "", view.metric)),
        count_rule=view.metric.rule(view.count),
    )
    return respond(request, session, body)


@router.get("/subsystems", response_model=Page[CountsRow], summary="MAINTAINERS subsystems at a release", responses=CSV)
def subsystems(
    request: Request, session: SessionDep, view: ViewDep, limit: Limit = 100, offset: Offset = 0, format: Format = None
) -> Response:
    release = release_ref(session, view.tag)
    rows = count_rows(counts.subsystem_places(session, release, view.metric, view.count, with_series=0))
    page = paging(request, limit, offset).page(rows, **at_release(release), **view_rule(view))
    return respond(request, session, Page[CountsRow](**page), format)


def _history(session: Session, series: tuple[KindCounts, ...], view: View) -> list[HistoryRow]:
    """The series along the timeline of the view's release (the newest by default)."""
    axis = timeline(session, release_ref(session, view.tag))
    return [
        HistoryRow(
            release=r.tag, commit_date=r.commit_date, line=r.line, provisional=r.provisional, **kind_counts(kinds)
        )
        for r, kinds in zip(axis, along(session, series, axis), strict=True)
    ]


@router.get(
    "/subsystems/{name:path}/history",
    response_model=Page[HistoryRow],
    summary="A subsystem, release by release",
    responses=CSV,
)
def subsystem_history(
    request: Request,
    session: SessionDep,
    name: str,
    view: ViewDep,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
) -> Response:
    places.known_subsystem(session, name)
    rows = _history(session, counts.subsystem_counts_series(session, name, view.metric), view)
    return respond(
        request, session, Page[HistoryRow](**paging(request, limit, offset).page(rows, **view_rule(view))), format
    )


@router.get("/tree", response_model=Page[CountsRow], summary="The top of the tree at a release", responses=CSV)
@router.get(
    "/tree/{path:path}", response_model=Page[CountsRow], summary="A directory's children at a release", responses=CSV
)
def tree(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    path: str = "",
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
) -> Response:
    path = places.known_path(session, path)
    release = release_ref(session, view.tag)
    rows = count_rows(counts.children_places(session, release, path, view.metric, view.count))
    page = paging(request, limit, offset).page(rows, **at_release(release), **view_rule(view))
    return respond(request, session, Page[CountsRow](**page), format)


@router.get(
    "/filesystems",
    response_model=FilesystemPage,
    summary="fs/ by filesystem: left now, left `back` releases ago, and the change",
    responses=CSV,
)
def filesystems(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    back: Back = changes.DEFAULT_BACK,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
) -> Response:
    release = release_ref(session, view.tag)
    table = changes.filesystem_table(session, release, back, view.metric, view.count)
    page = paging(request, limit, offset).page(count_rows(table.filesystems), **at_release(release), **view_rule(view))
    vfs, whole = count_rows([table.vfs, table.whole])
    redundant = scopes.by_filesystem(session, release, view.metric.identifiers)
    body = FilesystemPage(
        **page, since=table.since.tag, back=table.back, vfs=vfs, whole=whole, redundant_in_scope=redundant
    )
    return respond(request, session, body, format)


@router.get(
    "/files/{path:path}/history",
    response_model=Page[HistoryRow],
    summary="A file or directory, release by release",
    responses=CSV,
)
def file_history(
    request: Request,
    session: SessionDep,
    path: str,
    view: ViewDep,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
) -> Response:
    path = places.known_path(session, path)
    rows = _history(session, counts.path_counts_series(session, path, view.metric), view)
    return respond(
        request, session, Page[HistoryRow](**paging(request, limit, offset).page(rows, **view_rule(view))), format
    )


@router.get(
    "/files/{path:path}/occurrences",
    response_model=Page[OccurrenceOut],
    summary="Every tracked occurrence in a file at a release",
    responses=CSV,
)
def file_occurrences(
    request: Request,
    session: SessionDep,
    path: str,
    filters: ContextFilterDep,
    release: Annotated[str | None, Query(description="a release tag; the newest when absent")] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    format: Format = None,
) -> Response:
    path = places.known_path(session, path)
    at = release_ref(session, release)
    found = occurrences.in_file(session, at, path, filters.callee, filters.flag)
    rows = [OccurrenceOut(**vars(o)) for o in found]
    return respond(
        request, session, Page[OccurrenceOut](**paging(request, limit, offset).page(rows, release=at.tag)), format
    )


@router.get(
    "/context",
    response_model=ContextOut,
    summary="What the metric's code occurrences do in a place at a release: by callee, role and flag",
    responses=CSV,
)
def context(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    filters: ContextFilterDep,
    path: Annotated[
        str | None, Query(max_length=4096, description="a directory (with all below it) or a file; else the tree")
    ] = None,
    subsystem: Annotated[
        str | None, Query(max_length=512, description="a MAINTAINERS subsystem; with a path, its files below it")
    ] = None,
    format: Format = None,
) -> Response:
    release = release_ref(session, view.tag)
    where = places.where(session, path, subsystem)
    found = context_breakdown(session, release, view.metric, where, filters.callee, filters.flag)
    return respond(request, session, answers.context(found), format)


@router.get("/compare", response_model=Comparison, summary="What moved between two releases", responses={304: CSV[304]})
def compare(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    from_: Annotated[str, Query(alias="from", max_length=255)],
    to: Annotated[str, Query(max_length=255)],
) -> Response:
    older, newer = release_ref(session, from_), release_ref(session, to)
    files = changes.file_changes(session, older, newer, view.metric, view.count)
    body = Comparison(
        **{"from": older.tag, "to": newer.tag},
        metric=view.metric.key,
        count=view.count.value,
        before=view.count.of(counts.place_counts(session, older, "", view.metric)),
        after=view.count.of(counts.place_counts(session, newer, "", view.metric)),
        subsystems=count_rows(changes.subsystem_changes(session, older, newer, view.metric, view.count)),
        files=[FileChange(path=f.name, before=f.previous, after=f.value, change=f.change) for f in files],
    )
    return respond(request, session, body)


@router.get(
    "/compare/occurrences",
    response_model=Page[ChangeOut],
    summary="Occurrences added and removed between two releases",
    responses=CSV,
)
def compare_occurrences(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    from_: Annotated[str, Query(alias="from", max_length=255)],
    to: Annotated[str, Query(max_length=255)],
    limit: Limit = 1000,
    offset: Offset = 0,
    format: Format = None,
) -> Response:
    older, newer = release_ref(session, from_), release_ref(session, to)
    rows = [
        ChangeOut(
            path=c.path,
            identifier=c.identifier,
            kind=c.kind,
            function=c.function,
            text=c.text,
            line=c.line,
            change="added" if c.added else "removed",
        )
        for c in occurrences.occurrence_changes(session, older, newer, view.metric)
    ]
    return respond(
        request, session, Page[ChangeOut](**paging(request, limit, offset).page(rows, **view_rule(view))), format
    )


@router.get(
    "/registry",
    response_model=Registry,
    summary="The tracked identifiers, metrics and the counting rule",
    responses={304: CSV[304]},
)
def registry(request: Request, session: SessionDep) -> Response:
    body = Registry(
        identifiers=[
            IdentifierOut(name=i.name, group=i.group.value, direction=i.direction.value, description=i.description)
            for i in IDENTIFIERS
        ],
        metrics=[MetricOut(key=m.key, label=m.label, identifiers=list(m.identifiers)) for m in METRICS.values()],
        rule=RULE_TEXT,
    )
    return respond(request, session, body)
