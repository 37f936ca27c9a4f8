"""/api/v1: the same queries as the pages, as JSON or CSV, cacheable by ETag."""

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from app import queries, scopes
from app.api.common import CSV, ERRORS, Format, Limit, Offset, at_release, context_of, page_of, respond
from app.api.schemas import (
    CalleeOut,
    ChangeOut,
    Comparison,
    ContextOut,
    Counts,
    CountsRow,
    FileChange,
    FilesystemPage,
    FlagCount,
    HistoryRow,
    IdentifierOut,
    MetricOut,
    OccurrenceOut,
    Page,
    Registry,
    ReleaseOut,
    RoleCount,
    Summary,
)
from app.context_rules import CONTEXT_COUNT_RULE, CONTEXT_RULE_TEXT, NOFAIL, ROLE_RULES, Role
from app.metrics import METRICS
from app.registry import IDENTIFIERS, RULE_TEXT
from app.registry import Counts as KindCounts  # schemas.Counts is the JSON object of them
from app.request import Back, ContextFilterDep, SessionDep, View, ViewDep

router = APIRouter(responses=ERRORS)


def _counts(kinds: KindCounts) -> dict[str, int]:
    return {**kinds._asdict(), "uses": kinds.uses, "total": kinds.total}


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
    previous = queries.previous_release(session, release)
    first = queries.upto(session, release)[0]
    whole = queries.place_counts(session, release, "", view.metric)
    value = view.count.of(whole)
    body = Summary(
        release=_release_out(release),
        previous=previous.tag if previous else None,
        metric=view.metric.key,
        whole_tree=Counts(**_counts(whole)),
        in_fs=Counts(**_counts(queries.place_counts(session, release, "fs", view.metric))),
        change_since_previous=value - view.count.of(queries.place_counts(session, previous, "", view.metric))
        if previous
        else None,
        change_since_first=value - view.count.of(queries.place_counts(session, first, "", view.metric)),
        count_rule=view.metric.rule(view.count),
    )
    return respond(request, session, body)


def _rows(places: Iterable[queries.Place]) -> list[CountsRow]:
    """The places of the page this answer is the twin of, in its order."""
    return [
        CountsRow(
            name=p.name,
            type=p.type,
            previous_uses=p.then.uses,
            previous_total=p.then.total,
            change=p.change,
            **_counts(p.now),
        )
        for p in places
    ]


@router.get("/subsystems", response_model=Page[CountsRow], summary="MAINTAINERS subsystems at a release", responses=CSV)
def subsystems(
    request: Request, session: SessionDep, view: ViewDep, limit: Limit = 100, offset: Offset = 0, format: Format = None
):
    release = queries.release_ref(session, view.tag)
    rows = _rows(queries.subsystem_places(session, release, view.metric, view.count, with_series=0))
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
):
    queries.known_subsystem(session, name)
    rows = _history(session, queries.subsystem_counts_series(session, name, view.metric), view)
    return respond(
        request, session, Page[HistoryRow](**page_of(request, rows, limit, offset, **context_of(view))), format
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
):
    path = queries.known_path(session, path)
    release = queries.release_ref(session, view.tag)
    rows = _rows(queries.children_places(session, release, path, view.metric, view.count))
    page = page_of(request, rows, limit, offset, **at_release(release), **context_of(view))
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
    back: Back = queries.DEFAULT_BACK,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
):
    release = queries.release_ref(session, view.tag)
    table = queries.filesystem_table(session, release, back, view.metric, view.count)
    page = page_of(request, _rows(table.filesystems), limit, offset, **at_release(release), **context_of(view))
    vfs, whole = _rows([table.vfs, table.whole])
    redundant = scopes.by_filesystem(session, release, view.metric.identifiers)
    extra = {"since": table.since.tag, "back": table.back, "vfs": vfs, "whole": whole, "redundant_in_scope": redundant}
    return respond(request, session, FilesystemPage(**page, **extra), format)


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
    path = queries.known_path(session, path)
    rows = _history(session, queries.path_counts_series(session, path, view.metric), view)
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
    filters: ContextFilterDep,
    release: Annotated[str | None, Query(description="a release tag; the newest when absent")] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    format: Format = None,
):
    path = queries.known_path(session, path)
    at = queries.release_ref(session, release)
    found = queries.occurrences(session, at, path, filters.callee, filters.flag)
    rows = [OccurrenceOut(**vars(o)) for o in found]
    return respond(
        request, session, Page[OccurrenceOut](**page_of(request, rows, limit, offset, release=at.tag)), format
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
):
    release = queries.release_ref(session, view.tag)
    path = queries.known_path(session, path) if path is not None else None
    subsystem = queries.known_subsystem(session, subsystem) if subsystem is not None else None
    found = queries.context_breakdown(session, release, view.metric, path, subsystem, filters.callee, filters.flag)
    return respond(request, session, context_out(found), format)


def context_out(found: queries.ContextBreakdown) -> ContextOut:
    return ContextOut(
        release=found.release.tag,
        provisional=found.release.provisional,
        metric=found.metric.key,
        path=found.path,
        subsystem=found.subsystem,
        callee=found.callee,
        flag=found.flag,
        uses=found.uses,
        with_nofail=found.with_flag(NOFAIL),
        negated=found.negated,
        unclassified=found.unclassified,
        roles=[RoleCount(role=role, uses=n, rule=ROLE_RULES[Role(role)]) for role, n in found.roles],
        flags=[FlagCount(flag=flag, uses=n) for flag, n in found.flags],
        items=[
            CalleeOut(
                role=c.role,
                callee=c.callee,
                uses=c.uses,
                with_nofail=c.with_flag(NOFAIL),
                negated=c.negated,
                flags=" ".join(f"{flag}:{n}" for flag, n in c.flags),
            )
            for c in found.callees
        ],
        count_rule=f"{', '.join(found.metric.identifiers)}: {CONTEXT_COUNT_RULE}.",
        rule=CONTEXT_RULE_TEXT,
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
    files = queries.file_changes(session, older, newer, view.metric, view.count)
    body = Comparison(
        **{"from": older.tag, "to": newer.tag},
        metric=view.metric.key,
        count=view.count.value,
        before=view.count.of(queries.place_counts(session, older, "", view.metric)),
        after=view.count.of(queries.place_counts(session, newer, "", view.metric)),
        subsystems=_rows(queries.subsystem_changes(session, older, newer, view.metric, view.count)),
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
