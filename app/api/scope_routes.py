"""/api/v1/scopes: what `nofs scopes` found at a release, the twin of the pages' scope section."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app import queries, scopes
from app.api.common import CSV, ERRORS, Format, Limit, Offset, at_release, read_page, respond
from app.api.schemas import ScopeAnalysisOut, ScopeFindingOut, ScopePage, ScopeRedundancyOut, ScopeStepOut
from app.request import SessionDep
from app.scope_rules import FINDING_LABELS, RULE_VERSION, SCOPE_RULE_TEXT, Finding

router = APIRouter(responses=ERRORS)


def finding_out(row: scopes.FindingRow) -> ScopeFindingOut:
    return ScopeFindingOut(
        kind=row.kind,
        label=row.label,
        identifier=row.identifier,
        path=row.path,
        subsystem=row.subsystem,
        line=row.line,
        function=row.function,
        how=row.how,
        text=row.text,
        evidence=[ScopeStepOut(**vars(step)) for step in row.evidence],
    )


def redundancy_out(found: scopes.Redundancy) -> ScopeRedundancyOut:
    return ScopeRedundancyOut(
        name=found.name,
        redundant_nofs=found.nofs,
        redundant_noio=found.noio,
        nofs_uses=found.nofs_uses,
        share=found.share,
    )


def analysis_out(found: scopes.Analysis | None) -> ScopeAnalysisOut | None:
    if found is None:
        return None
    return ScopeAnalysisOut(
        rule=found.rule,
        current_rule=RULE_VERSION,
        files_read=found.files_read,
        functions_read=found.functions_read,
        uses=found.uses,
        analysed_at=found.analysed_at,
    )


@router.get(
    "/scopes",
    response_model=ScopePage,
    summary="Scope findings at a release: GFP_NOFS/GFP_NOIO uses redundant inside an open scope, unpaired saves, "
    "foreign restores, wrapper scopes, openers and closers, each with its evidence",
    responses=CSV,
)
def scope_findings(
    request: Request,
    session: SessionDep,
    release: Annotated[str | None, Query(max_length=255, description="a release tag; the newest when absent")] = None,
    path: Annotated[str | None, Query(max_length=4096, description="a file, or a directory with all below it")] = None,
    subsystem: Annotated[
        str | None, Query(max_length=512, description="a MAINTAINERS subsystem; with a path, its files below it")
    ] = None,
    kind: Annotated[Finding | None, Query(description="only the findings of this kind")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    format: Format = None,
):
    at = queries.release_ref(session, release)
    path = (queries.known_path(session, path) or None) if path is not None else None  # '' is the whole tree
    subsystem = queries.known_subsystem(session, subsystem) if subsystem is not None else None
    summary = scopes.summary(session, at, path, subsystem)
    rows = [finding_out(r) for r in scopes.findings(session, at, path, subsystem, kind, limit, offset)]
    total = summary.findings if kind is None else summary.of_kind(kind)
    history = scopes.series(session, queries.upto(session, at), path, subsystem)
    body = ScopePage(
        **read_page(request, rows, total, limit, offset, **at_release(at)),
        read=summary.read,
        note=None if summary.read else f"{at.tag}: {scopes.NOT_READ}",
        analysis=analysis_out(summary.analysis),
        path=path,
        subsystem=subsystem,
        kind=kind.value if kind else None,
        kinds=dict(summary.kinds) if summary.read else None,
        redundant=redundancy_out(summary.redundant) if summary.read else None,
        redundant_how=dict(summary.how) if summary.read else None,
        subsystems=[redundancy_out(s) for s in summary.subsystems],
        history=[redundancy_out(p.redundant) for p in history],
        labels={k.value: label for k, label in FINDING_LABELS.items()},
        share_rule=scopes.SHARE_RULE,
        rule=SCOPE_RULE_TEXT,
    )
    return respond(request, session, body, format)
