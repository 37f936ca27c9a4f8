"""The JSON API for bots, mounted at /api/v1 with its own OpenAPI document and JSON errors."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import commit_routes, scope_routes
from app.api.routes import router
from app.db import is_missing_schema
from app.errors import BadParameter, NotFound


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


def create_api() -> FastAPI:
    api = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="nofs API",
        version="1",
        summary="Counts of GFP_NOFS, GFP_NOIO and the scoped memalloc_* APIs in the kernel, release by release",
        description="Every list is paginated (limit, offset, total, next) in a stable order and also comes as "
        "CSV (?format=csv or Accept: text/csv) with the same columns. Responses carry an ETag derived from the "
        'ingested data; send If-None-Match to get 304 Not Modified. Errors are {"error": …, "detail": …}.',
    )
    api.include_router(router)
    api.include_router(commit_routes.router)
    api.include_router(scope_routes.router)

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # Swagger UI is vendored: the docs work offline and under our Content-Security-Policy.
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="nofs API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    @api.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return _error(404, "not_found", str(exc))

    @api.exception_handler(BadParameter)
    async def bad_parameter(_request: Request, exc: BadParameter) -> JSONResponse:
        return _error(422, "invalid", str(exc))

    @api.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid", "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "not_found" if exc.status_code == 404 else "error", str(exc.detail))

    @api.exception_handler(DataError)
    async def bad_data(_request: Request, _exc: DataError) -> JSONResponse:
        return _error(422, "invalid", "a value in the request cannot be looked up")

    @api.exception_handler(DBAPIError)
    async def database(_request: Request, exc: DBAPIError) -> JSONResponse:
        if is_missing_schema(exc):
            return _error(404, "not_found", "nothing has been ingested yet")
        return _error(503, "unavailable", "the database is not answering; try again shortly")

    return api
