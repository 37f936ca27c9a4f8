"""Chart descriptions (Vega-Lite), one per chart: drawn in the page by vega-embed, exported by vl-convert.

Pure functions of the numbers; the web layer feeds them and serves the results.
"""

import textwrap
from typing import Any, Final

VEGA_LITE_VERSION: Final = "v6.4"  # the version static/vendor/vega-bundle.js was built with
SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v6.json"
PROJECTION_LIMIT: Final = 40  # releases drawn ahead at most
AXIS_LABELS: Final = 24  # release labels on an axis at most: past that, every k-th is labelled
POINTS_UP_TO: Final = 60  # releases on an axis up to which each one is drawn as a point
# In the order series are given: legacy in fs/, elsewhere, scoped in fs/, elsewhere, whole tree, projection.
SUBTITLE_CHARS: Final = {False: 110, True: 90}  # characters a subtitle line holds (page, slide)
PALETTE: Final = ["#c2410c", "#fb923c", "#1d4ed8", "#60a5fa", "#111827", "#6b7280", "#15803d", "#a16207"]


def _base(title: str, subtitle: str, width: int | str, height: int, large: bool = False) -> dict[str, Any]:
    """Common layout; `large` is for slides: bigger type, read from the back of a room."""
    text, small = (26, 18) if large else (16, 12)
    # one sentence a line, long ones wrapped: Vega does not wrap text, and an unwrapped rule ran past
    # the page's right edge (the kinds' rules make a long sentence)
    sentences = [line if line.endswith(".") else line + "." for line in subtitle.split(". ") if line]
    lines = [part for sentence in sentences for part in textwrap.wrap(sentence, SUBTITLE_CHARS[large])]
    return {
        "$schema": SCHEMA,
        "title": {"text": title, "subtitle": lines, "anchor": "start", "fontSize": text, "subtitleFontSize": small},
        "width": width,
        "height": height,
        "autosize": {"type": "fit", "contains": "padding"},
        "config": {
            "font": "sans-serif",
            "axis": {"labelFontSize": small, "titleFontSize": small},
            "legend": {"labelFontSize": small, "labelLimit": 400},
            "view": {"stroke": None},
        },
    }


def trend(
    title: str,
    subtitle: str,
    tags: list[str],
    series: dict[str, list[int]],
    projection: tuple[str, int] | None = None,
    width: int | str = "container",
    height: int = 320,
    large: bool = False,
) -> dict[str, Any]:
    """Lines over releases, one per series; optionally a dashed straight-line projection to zero.

    `projection` is (series name, releases to zero): drawn from the last release to "+N", never past
    PROJECTION_LIMIT releases, and labelled as a projection in the legend.
    """
    rows = [
        {"release": tag, "order": i, "series": name, "value": values[i], "kind": "measured"}
        for name, values in series.items()
        for i, tag in enumerate(tags)
    ]
    order = list(tags)
    if projection is not None and tags:
        name, steps = projection
        last = series[name][-1]
        shown = min(steps, PROJECTION_LIMIT)  # a very long way to zero is drawn only part of the way
        ahead = f"+{shown} releases"
        end = 0 if shown == steps else round(last - last * shown / steps)
        for tag, order_at, value in ((tags[-1], len(tags) - 1, last), (ahead, len(tags) - 1 + shown, end)):
            rows.append(
                {
                    "release": tag,
                    "order": order_at,
                    "series": f"{name} (projection)",
                    "value": value,
                    "kind": "projected",
                }
            )
        order.append(ahead)
    spec = _base(title, subtitle, width, height, large)
    spec.update(
        {
            "data": {"values": rows},
            "mark": {"type": "line", "point": len(tags) <= POINTS_UP_TO, "tooltip": True},
            "encoding": {
                "x": {
                    "field": "release",
                    "type": "ordinal",
                    "sort": order,
                    "title": "release",
                    "axis": {"labelAngle": -40, "values": _axis_labels(tags, order)},
                },
                "y": {"field": "value", "type": "quantitative", "title": "count"},
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {"domain": list(dict.fromkeys(row["series"] for row in rows)), "range": PALETTE},
                    "legend": {"orient": "bottom", "title": None, "columns": 3 if large else 4},
                },
                "strokeDash": {
                    "field": "kind",
                    "type": "nominal",
                    "scale": {"domain": ["measured", "projected"], "range": [[1, 0], [6, 4]]},
                    "legend": None,
                },
            },
        }
    )
    return spec


def _axis_labels(tags: list[str], order: list[str]) -> list[str]:
    """The releases labelled, thinned; the projection's end ("+N releases") too while there is room: on a
    crowded axis it would sit on the newest release's label (the legend still names the dashed line)."""
    return [*_thinned(tags), *(order[len(tags) :] if len(tags) <= AXIS_LABELS else [])]


def _thinned(tags: list[str]) -> list[str]:
    """At most AXIS_LABELS labels, evenly spaced, always with the last (the release shown)."""
    step = -(-len(tags) // AXIS_LABELS)
    return tags[::-1][::step][::-1]


def bars(
    title: str, subtitle: str, rows: list[tuple[str, int]], width: int | str = "container", large: bool = False
) -> dict[str, Any]:
    """Horizontal bars, biggest first: for the subsystems or directories with the most left."""
    spec = _base(title, subtitle, width, max(120, (34 if large else 22) * len(rows)), large)
    spec.update(
        {
            # the height is the bars' own: fitted whole, a few bars under a four-line subtitle had none left
            "autosize": {"type": "fit-x", "contains": "padding"},
            "data": {"values": [{"name": name, "value": value} for name, value in rows]},
            "mark": {"type": "bar", "tooltip": True, "color": PALETTE[0]},
            "encoding": {
                "y": {"field": "name", "type": "nominal", "sort": "-x", "title": None, "axis": {"labelLimit": 320}},
                "x": {"field": "value", "type": "quantitative", "title": "count", "axis": {"tickMinStep": 1}},
            },
        }
    )
    return spec


def sparkline_points(values: tuple[int, ...] | list[int], width: int = 80, height: int = 18) -> str:
    """SVG polyline points for a small inline chart in a table row (no script needed)."""
    if not values:
        return ""
    top = max(values) or 1
    step = width / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 1 - (v / top) * (height - 2):.1f}" for i, v in enumerate(values))
