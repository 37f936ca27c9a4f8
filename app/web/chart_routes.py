"""Every chart at a stable URL: its Vega-Lite description (drawn in the page), SVG and PNG (drawn here)."""

import json
from functools import lru_cache
from typing import Any, Final

import vl_convert
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from app import charts
from app.errors import BadParameter
from app.metrics import SCOPES_OPENED
from app.queries import counts, places, releases
from app.request import SessionDep, View, ViewDep

router = APIRouter()

FORMATS: Final = {"vl.json": "application/json", "svg": "image/svg+xml", "png": "image/png"}
EXPORT_WIDTH: Final = 960  # pixels; "container" only makes sense inside a page
TOP_SUBSYSTEMS: Final = 15
PAGE_HEIGHT: Final = 320
SLIDE_HEIGHT: Final = 560
Size = Query("page", pattern="^(page|slide)$", description="slide: larger type and height, for a projector")


def trend_spec(
    session: Session, view: View, subsystem: str | None, path: str | None, width: int | str, large: bool = False
) -> dict[str, Any]:
    release = releases.release_ref(session, view.tag)
    axis = releases.upto(session, release)
    tags = [r.label for r in axis]  # a moving ref says it is provisional on the axis itself

    def along(values: tuple[int, ...]) -> list[int]:
        return list(releases.along(session, values, axis))

    what = "uses" if view.count.value == "uses" else "occurrences"
    label = view.metric.label
    if subsystem is not None:
        places.known_subsystem(session, subsystem)
        series = {label: along(counts.subsystem_series(session, subsystem, view.metric, view.count))}
        title, key = f"{label} {what} in {subsystem}", label
    elif path:
        path = places.known_path(session, path)
        series = {label: along(counts.path_series(session, path, view.metric, view.count))}
        title, key = f"{label} {what} in /{path}", label
    else:
        in_fs = along(counts.path_series(session, "fs", view.metric, view.count))
        everywhere = along(counts.path_series(session, "", view.metric, view.count))
        scoped_fs = along(counts.path_series(session, "fs", SCOPES_OPENED, view.count))
        scoped_all = along(counts.path_series(session, "", SCOPES_OPENED, view.count))
        series = {
            f"{label} in fs/": in_fs,
            f"{label} elsewhere": [a - b for a, b in zip(everywhere, in_fs, strict=True)],
            "scopes opened in fs/": scoped_fs,
            "scopes opened elsewhere": [a - b for a, b in zip(scoped_all, scoped_fs, strict=True)],
            f"{label}, whole tree": everywhere,
        }
        title, key = f"{label} {what} against scoped API calls, fs/ and the rest", f"{label}, whole tree"
    projection = counts.project(tuple(series[key]))
    steps = projection.releases_to_zero
    rule = view.metric.rule(view.count)
    if steps:
        rule += f" Dashed: projection at the pace of the last {projection.window} releases."
    height = SLIDE_HEIGHT if large else PAGE_HEIGHT
    return charts.trend(title, rule, tags, series, (key, steps) if steps else None, width, height, large)


def subsystems_spec(session: Session, view: View, width: int | str, large: bool = False) -> dict[str, Any]:
    release = releases.release_ref(session, view.tag)
    places = counts.subsystem_places(session, release, view.metric, view.count, 0)[:TOP_SUBSYSTEMS]
    what = "uses" if view.count.value == "uses" else "occurrences"
    return charts.bars(
        f"Most {view.metric.label} {what} left, by MAINTAINERS subsystem, at {release.tag}",
        view.metric.rule(view.count),
        [(p.name, p.value) for p in places if p.value],
        width,
        large,
    )


@lru_cache(maxsize=256)
def _draw(spec_json: str, fmt: str) -> bytes:
    spec = json.loads(spec_json)
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec, vl_version=charts.VEGA_LITE_VERSION).encode()
    return vl_convert.vegalite_to_png(spec, vl_version=charts.VEGA_LITE_VERSION, scale=2)


def svg(spec: dict[str, Any]) -> str:
    """A chart drawn here, for a page that inlines it (the slides, which must print and work offline)."""
    return _draw(json.dumps(spec, sort_keys=True), "svg").decode()


def warm_renderer() -> None:
    """Start the chart renderer (its JavaScript engine takes about a second to start) before the first
    request needs it."""
    spec = charts.trend("warm-up", "", ["v1", "v2"], {"n": [1, 0]}, width=100, height=50)
    vl_convert.vegalite_to_svg(spec, vl_version=charts.VEGA_LITE_VERSION)
    vl_convert.vegalite_to_png(spec, vl_version=charts.VEGA_LITE_VERSION)


def _respond(spec: dict[str, Any], fmt: str) -> Response:
    if fmt not in FORMATS:
        raise BadParameter(f"charts come as {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "vl.json":
        return JSONResponse(spec)
    return Response(_draw(json.dumps(spec, sort_keys=True), fmt), media_type=FORMATS[fmt])


@router.get("/charts/trend.{fmt}", summary="The trend chart: a metric over releases")
def trend_chart(
    session: SessionDep,
    view: ViewDep,
    fmt: str,
    subsystem: str | None = Query(None, max_length=512),
    path: str | None = Query(None, max_length=4096),
    width: int | None = Query(None, ge=200, le=4000),
    size: str = Size,
) -> Response:
    spec = trend_spec(session, view, subsystem, path, _width(width, fmt), size == "slide")
    return _respond(spec, fmt)


@router.get("/charts/subsystems.{fmt}", summary="The subsystems with the most left")
def subsystems_chart(
    session: SessionDep, view: ViewDep, fmt: str, width: int | None = Query(None, ge=200, le=4000), size: str = Size
) -> Response:
    return _respond(subsystems_spec(session, view, _width(width, fmt), size == "slide"), fmt)


def _width(asked: int | None, fmt: str) -> int | str:
    """The page sizes a chart to its container; an exported image needs pixels."""
    return asked or (EXPORT_WIDTH if fmt != "vl.json" else "container")
