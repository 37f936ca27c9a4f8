"""What every request of a page or an API answer shares: one read snapshot of the database, and the
metric, count and release the reader asked for. Pages (app/web) and the API (app/api) both depend on it."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from app import cache
from app.db import get_sessionmaker
from app.metrics import DEFAULT_METRIC, METRICS, Count, Metric, MetricKey, goes_down


def get_db(request: Request) -> Iterator[Session]:
    """One read transaction per request, so every query of it sees the same data; the data version of
    that snapshot goes on the request, for the response cache to file the answer under."""
    with get_sessionmaker()() as session, session.begin():
        request.state.data_version = cache.data_version(session)
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
DEFAULT_KEY = MetricKey(DEFAULT_METRIC)


@dataclass(frozen=True)
class View:
    """What the reader picked: metric, which occurrences, and the release (None: the newest)."""

    metric: Metric
    count: Count
    tag: str | None

    @property
    def down(self) -> bool:
        """True when progress means the number shrinks (GFP_NOFS), false when it grows (scopes opened)."""
        return goes_down(self.metric)

    def query(self, **changes: str | None) -> str:
        """The query string for links that keep the reader's choices, with some changed."""
        values = {"metric": self.metric.key, "count": self.count.value, "release": self.tag, **changes}
        defaults = {"metric": DEFAULT_METRIC, "count": Count.USES.value, "release": None}
        pairs = {k: v for k, v in values.items() if v is not None and defaults.get(k, "\0") != v}
        return ("?" + urlencode(pairs, quote_via=quote)) if pairs else ""


def view(
    metric: Annotated[MetricKey, Query(description="what to count: a headline metric or one identifier")] = DEFAULT_KEY,
    count: Annotated[Count, Query(description="uses (code only) or all (every occurrence)")] = Count.USES,
    release: Annotated[str | None, Query(max_length=255, description="a release tag; the newest when absent")] = None,
) -> View:
    return View(METRICS[metric.value], Count(count), release or None)


ViewDep = Annotated[View, Depends(view)]


@dataclass(frozen=True)
class ContextFilter:
    """Which code occurrences a context table or an occurrence list keeps: an argument of one callee, or
    combined with one flag; None keeps all."""

    callee: str | None = None
    flag: str | None = None

    def params(self) -> dict[str, str]:
        return {key: value for key, value in (("callee", self.callee), ("flag", self.flag)) if value is not None}


def context_filter(
    callee: Annotated[
        str | None,
        Query(max_length=255, description="only code occurrences that are an argument of this call: kmalloc, ->alloc"),
    ] = None,
    flag: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="only code occurrences combined with this flag in their operand: __GFP_NOFAIL",
        ),
    ] = None,
) -> ContextFilter:
    return ContextFilter(callee or None, flag or None)


ContextFilterDep = Annotated[ContextFilter, Depends(context_filter)]


Back = Annotated[
    int, Query(ge=0, le=10_000, description="releases back the filesystem table compares with (clamped to the axis)")
]
