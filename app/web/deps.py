"""Request-scoped pieces every page shares: the session, and the metric/count/release a view is asked for."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from app import attribution, cache, charts, queries
from app.assets import asset_dir
from app.db import get_sessionmaker
from app.links import source_links
from app.metrics import DEFAULT_METRIC, METRICS, Count, Metric, MetricKey, goes_down
from app.registry import IDENTIFIERS, KIND_RULES, RULE_TEXT

templates = Jinja2Templates(directory=str(asset_dir("templates")))
templates.env.globals.update(
    METRICS=METRICS,
    Count=Count,
    IDENTIFIERS=IDENTIFIERS,
    RULE_TEXT=RULE_TEXT,
    KIND_RULES=KIND_RULES,
    PROJECTION_WINDOW=queries.PROJECTION_WINDOW,
    sparkline=charts.sparkline_points,
    commit_url=attribution.commit_url,
    source_links=source_links,
)


def get_db(request: Request) -> Iterator[Session]:
    """One read transaction per request, so every query of it sees the same data; the data version of
    that snapshot goes on the request, for the response cache to file the answer under."""
    with get_sessionmaker()() as session, session.begin():
        request.state.data_version = cache.data_version(session)
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
DEFAULT_KEY = MetricKey(DEFAULT_METRIC)


class BadParameter(ValueError):
    """A query parameter outside its allowed values: a 422 page or JSON error."""


@dataclass(frozen=True)
class View:
    """What the reader picked: metric, which occurrences, and the release (None: the newest)."""

    metric: Metric
    count: Count
    tag: str | None

    def query(self, **changes: str | None) -> str:
        """The query string for links that keep the reader's choices, with some changed."""
        values = {"metric": self.metric.key, "count": self.count.value, "release": self.tag, **changes}
        defaults = {"metric": DEFAULT_METRIC, "count": Count.USES.value, "release": None}
        pairs = [f"{k}={v}" for k, v in values.items() if v is not None and defaults.get(k, "\0") != v]
        return ("?" + "&".join(pairs)) if pairs else ""


def view(
    metric: Annotated[MetricKey, Query(description="what to count: a headline metric or one identifier")] = DEFAULT_KEY,
    count: Annotated[Count, Query(description="uses (code only) or all (every occurrence)")] = Count.USES,
    release: Annotated[str | None, Query(max_length=255, description="a release tag; the newest when absent")] = None,
) -> View:
    return View(METRICS[metric.value], Count(count), release or None)


ViewDep = Annotated[View, Depends(view)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    view = context.get("view")
    if isinstance(view, View):
        context.setdefault("down", goes_down(view.metric))
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response
