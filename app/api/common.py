"""What every /api/v1 route shares: error and CSV documentation, paging, and the one way to respond."""

import hashlib
from typing import Annotated, Any, Final

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app import cache
from app.api.answers import Paging, as_csv, count_rule
from app.api.schemas import ErrorOut
from app.request import View

ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorOut, "description": "unknown release, path or subsystem"},
    422: {"model": ErrorOut, "description": "a parameter outside its allowed values"},
    503: {"model": ErrorOut, "description": "the database is not answering"},
}
CSV: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV of the items"},
    304: {"description": "not modified since the ETag sent in If-None-Match"},
}
MAX_LIMIT: Final = 1000
CACHE_CONTROL: Final = "public, max-age=60"
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
Format = Annotated[str | None, Query(pattern="^(json|csv)$", description="json (default) or csv")]


def etag(request: Request, session: Session) -> str:
    """Changes exactly when the stored data or the asked-for representation changes."""
    accept_csv = "text/csv" in request.headers.get("accept", "")
    key = repr((cache.data_version(session), request.url.path, request.url.query, accept_csv))
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _wants_csv(request: Request, fmt: str | None) -> bool:
    return fmt == "csv" or (fmt is None and "text/csv" in request.headers.get("accept", ""))


def respond(request: Request, session: Session, body: BaseModel, fmt: str | None = None) -> Response:
    """JSON, or CSV of the items for a list; 304 when the client holds this very representation."""
    tag = etag(request, session)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    if _wants_csv(request, fmt):
        return Response(as_csv(body), media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse(body.model_dump(mode="json", by_alias=True), headers=headers)


def paging(request: Request, limit: int, offset: int) -> Paging:
    """The part of a list asked for, with the request's URL for the next page's link."""
    return Paging(limit, offset, request.url)


def view_rule(view: View) -> dict[str, str]:
    return count_rule(view.metric, view.count)
