"""/api/v1/scopes: what `nofs scopes` found at a release, the twin of the pages' scope section."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api import answers
from app.api.common import CSV, ERRORS, Format, Limit, Offset, paging, respond
from app.api.schemas import ScopePage
from app.queries import places, releases
from app.request import SessionDep
from app.scope_rules import Finding

router = APIRouter(responses=ERRORS)


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
) -> Response:
    at = releases.release_ref(session, release)
    where = places.where(session, path, subsystem)
    return respond(
        request, session, answers.scope_page(session, at, where, kind, paging(request, limit, offset)), format
    )
