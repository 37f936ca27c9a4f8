"""/api/v1: the same queries as the pages, as JSON or CSV, cacheable by ETag."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from app import queries
from app.api.common import CSV, ERRORS, Format, Limit, Offset, at_release, context_of, page_of, respond
from app.api.schemas import (
    ChangeOut,
    Comparison,
    Counts,
    CountsRow,
    FileChange,
    HistoryRow,
    IdentifierOut,
    MetricOut,
    OccurrenceOut,
    Page,
    Registry,
    ReleaseOut,
    Summary,
)
from app.metrics import METRICS
from app.registry import IDENTIFIERS, RULE_TEXT, ZERO_COUNTS
from app.registry import Counts as KindCounts  # schemas.Counts is the JSON object of them
from app.web.deps import SessionDep, View, ViewDep

router = APIRouter(responses=ERRORS)


def _counts(kinds: KindCounts) -> dict[str, int]:
    code, comment, string, definition = kinds
    return {
        "code": code,
        "comment": comment,
        "string": string,
        "definition": definition,
        "uses": code,
        "total": code + comment + string + definition,
    }


def _release_out(release: queries.ReleaseRef) -> ReleaseOut:
    return ReleaseOut(
        tag=release.tag,
        commit=release.commit_id,
        commit_date=release.commit_date,
        line=release.line,
        series=release.series,
        provisional=release.provisional,
    )


@router.get("/releases", response_model=Page[ReleaseOut], summary="Every ingested release, oldest first", responses=CSV)
def releases(request: Request, session: SessionDep, limit: Limit = 100, offset: Offset = 0, format: Format = None):
    items = [_release_out(r) for r in queries.releases(session)]
    return respond(request, session, Page[ReleaseOut](**page_of(request, items, limit, offset)), format)


@router.get(
    "/releases/{tag}", response_model=Summary, summary="A release's totals for a metric", responses={304: CSV[304]}
)
def summary(request: Request, session: SessionDep, tag: str, view: ViewDep):
    release = queries.release_ref(session, tag)
    axis = queries.upto(session, release)
    previous = queries.previous_release(session, release)
    whole = queries.along(session, queries.path_kinds_series(session, "", view.metric), axis)
    in_fs = queries.along(session, queries.path_kinds_series(session, "fs", view.metric), axis)
    before = (
        queries.path_kinds_series(session, "", view.metric)[queries.releases(session).index(previous)]
        if (previous)
        else None
    )
    body = Summary(
        release=_release_out(release),
        previous=previous.tag if previous else None,
        metric=view.metric.key,
        whole_tree=Counts(**_counts(whole[-1])),
        in_fs=Counts(**_counts(in_fs[-1])),
        change_since_previous=queries.value_of(whole[-1], view.count) - queries.value_of(before, view.count)
        if before
        else None,
        change_since_first=queries.value_of(whole[-1], view.count) - queries.value_of(whole[0], view.count),
        count_rule=view.metric.rule(view.count),
    )
    return respond(request, session, body)


def _rows(current: dict[Any, KindCounts], before: dict[Any, KindCounts], kind_of: Any) -> list[CountsRow]:
    rows = []
    for key in sorted(set(current) | set(before), key=str):
        now, then = current.get(key, ZERO_COUNTS), before.get(key, ZERO_COUNTS)
        name, row_type = kind_of(key)
        rows.append(CountsRow(name=name, type=row_type, previous_uses=then[0], change=now[0] - then[0], **_counts(now)))
    return sorted(rows, key=lambda r: (-r.uses, -r.total, r.name))


@router.get("/subsystems", response_model=Page[CountsRow], summary="MAINTAINERS subsystems at a release", responses=CSV)
def subsystems(
    request: Request, session: SessionDep, view: ViewDep, limit: Limit = 100, offset: Offset = 0, format: Format = None
):
    release = queries.release_ref(session, view.tag)
    before = queries.previous_release(session, release)
    current = queries.subsystem_kinds(session, release, view.metric)
    previous = queries.subsystem_kinds(session, before, view.metric) if before else {}
    rows = _rows(current, previous, lambda name: (name, "subsystem"))
    page = page_of(request, rows, limit, offset, **at_release(release), **context_of(view))
    return respond(request, session, Page[CountsRow](**page), format)


def _history(session: Session, series: tuple[KindCounts, ...], view: View) -> list[HistoryRow]:
    """The series along the timeline of the view's release (the newest by default)."""
    axis = queries.timeline(session, queries.release_ref(session, view.tag))
    return [
        HistoryRow(release=r.tag, commit_date=r.commit_date, line=r.line, provisional=r.provisional, **_counts(kinds))
        for r, kinds in zip(axis, queries.along(session, series, axis), strict=True)
    ]


@router.get(
    "/subsystems/{name}/history",
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
):
    queries.subsystem_info(session, name, queries.release_ref(session, None))  # 404 for an unknown one
    rows = _history(session, queries.subsystem_kinds_series(session, name, view.metric), view)
    return respond(
        request, session, Page[HistoryRow](**page_of(request, rows, limit, offset, **context_of(view))), format
    )


def _known_path(session: Session, path: str) -> str:
    path = queries.normalize_path(path)
    if queries.path_id(session, path) is None:
        raise queries.NotFound(f"no tracked occurrences under /{path} in any ingested release")
    return path


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
):
    path = _known_path(session, path)
    release = queries.release_ref(session, view.tag)
    before = queries.previous_release(session, release)
    current = queries.children_kinds(session, release, path, view.metric)
    previous = queries.children_kinds(session, before, path, view.metric) if before else {}
    rows = _rows(current, previous, lambda key: (key[0], "dir" if key[1] else "file"))
    page = page_of(request, rows, limit, offset, **at_release(release), **context_of(view))
    return respond(request, session, Page[CountsRow](**page), format)


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
):
    path = _known_path(session, path)
    rows = _history(session, queries.path_kinds_series(session, path, view.metric), view)
    return respond(
        request, session, Page[HistoryRow](**page_of(request, rows, limit, offset, **context_of(view))), format
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
    release: Annotated[str | None, Query(description="a release tag; the newest when absent")] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    format: Format = None,
):
    path = _known_path(session, path)
    at = queries.release_ref(session, release)
    rows = [OccurrenceOut(**vars(o)) for o in queries.occurrences(session, at, path)]
    return respond(
        request, session, Page[OccurrenceOut](**page_of(request, rows, limit, offset, release=at.tag)), format
    )


@router.get("/compare", response_model=Comparison, summary="What moved between two releases", responses={304: CSV[304]})
def compare(
    request: Request,
    session: SessionDep,
    view: ViewDep,
    from_: Annotated[str, Query(alias="from", max_length=255)],
    to: Annotated[str, Query(max_length=255)],
):
    older, newer = queries.release_ref(session, from_), queries.release_ref(session, to)
    totals = queries.path_series(session, "", view.metric, view.count)
    known = queries.releases(session)
    subsystems = _rows(
        queries.subsystem_kinds(session, newer, view.metric),
        queries.subsystem_kinds(session, older, view.metric),
        lambda name: (name, "subsystem"),
    )
    files = queries.file_changes(session, older, newer, view.metric, view.count)
    body = Comparison(
        **{"from": older.tag, "to": newer.tag},
        metric=view.metric.key,
        uses_before=totals[known.index(older)],
        uses_after=totals[known.index(newer)],
        subsystems=[row for row in subsystems if row.uses != row.previous_uses or row.change],
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
):
    older, newer = queries.release_ref(session, from_), queries.release_ref(session, to)
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
        for c in queries.occurrence_changes(session, older, newer, view.metric)
    ]
    return respond(
        request, session, Page[ChangeOut](**page_of(request, rows, limit, offset, **context_of(view))), format
    )


@router.get(
    "/registry",
    response_model=Registry,
    summary="The tracked identifiers, metrics and the counting rule",
    responses={304: CSV[304]},
)
def registry(request: Request, session: SessionDep):
    body = Registry(
        identifiers=[
            IdentifierOut(name=i.name, group=i.group.value, direction=i.direction.value, description=i.description)
            for i in IDENTIFIERS
        ],
        metrics=[MetricOut(key=m.key, label=m.label, identifiers=list(m.identifiers)) for m in METRICS.values()],
        rule=RULE_TEXT,
    )
    return respond(request, session, body)
