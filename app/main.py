"""The FastAPI application: pages, charts, static assets, and one error handler for each kind of failure."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError, OperationalError, ProgrammingError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from app import cache
from app.api.server import create_api
from app.assets import asset_dir
from app.db import get_sessionmaker, is_missing_schema
from app.errors import BadParameter, NotFound
from app.web import bots, chart_routes, pages, slides, warmup
from app.web.head import HeadAsGet
from app.web.page_contexts import Empty, Problem
from app.web.rendering import render
from app.web.response_cache import ResponseCache
from app.web.security import SecurityHeaders

log = logging.getLogger(__name__)


def _error(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "error.html", Problem(title, detail), status_code=status)


def _data_version() -> object:
    with get_sessionmaker()() as session:
        return cache.data_version(session)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await run_in_threadpool(warmup.warm)  # a server is ready when its first page is quick
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="nofs", summary="The kernel's GFP_NOFS/GFP_NOIO migration, release by release", lifespan=_lifespan
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(ResponseCache, version=_data_version)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)  # outermost: everything below sees a GET
    app.mount("/static", StaticFiles(directory=asset_dir("static")), name="static")
    app.mount("/api/v1", create_api())
    app.include_router(pages.router)
    app.include_router(slides.router)
    app.include_router(chart_routes.router)
    app.include_router(bots.router)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, "Not found", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, "Not found" if exc.status_code == 404 else "Error", str(exc.detail))

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, exc: BadParameter) -> Response:
        return _error(request, 422, "Bad parameter", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _error(request, 422, "Bad parameter", problems)

    @app.exception_handler(DataError)
    async def bad_data(request: Request, exc: DataError) -> Response:
        # e.g. a NUL byte in a path: PostgreSQL refuses it in a text parameter, so it names nothing stored
        return _error(request, 422, "Bad parameter", "a value in the request cannot be looked up")

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        if isinstance(exc, OperationalError | ProgrammingError) and is_missing_schema(exc):
            return render(request, "empty.html", Empty(), status_code=200 if request.url.path == "/" else 404)
        log.warning("database unavailable: %s", str(exc.orig or exc).strip().splitlines()[0] if str(exc) else exc)
        return _error(request, 503, "Database unavailable", "The database is not answering; try again shortly.")

    return app


app = create_app()
