"""A new server process made ready before its first reader: the chart renderer started, every template
compiled, a database connection opened and the busiest pages built once at the newest release (which compiles
their statements), then what it holds frozen for the garbage collector. Nothing read is kept: the query cache
is emptied afterwards, so the first request for any page still reads the database."""

import gc
import logging

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import cache
from app.db import get_sessionmaker
from app.errors import NotFound
from app.metrics import DEFAULT_METRIC, METRICS, Count
from app.queries import places, releases
from app.request import ContextFilter, View
from app.web import chart_routes, page_contexts
from app.web.rendering import templates

log = logging.getLogger(__name__)
YOUNG_OBJECTS = 50_000  # allocations (less deallocations) that start a collection of the youngest objects


def warm() -> None:
    """Everything a first page would otherwise pay for, then the collector told to leave it alone."""
    chart_routes.warm_renderer()
    for name in templates.env.list_templates():
        templates.env.get_template(name)
    try:
        with get_sessionmaker()() as session, session.begin():
            _build_pages(session)
    except (DBAPIError, NotFound) as exc:  # a server may start before its database is up or filled
        log.info("warm-up skipped the queries: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    finally:
        cache.clear()
    # What the server holds from now on (modules, compiled templates and statements) never becomes garbage:
    # frozen, it is not walked again by every full collection, which cost a comparison over a hundred
    # releases 100 ms of its 400 (it allocates a hundred thousand objects, triggering collections).
    gc.collect()
    gc.freeze()
    # A page over a hundred releases allocates a hundred thousand objects, nearly all freed by reference
    # counting; at the default threshold (700) each 700 of them start a collection, and every tenth of
    # those walks what the server has built since the freeze (compiled statements, prepared queries): on
    # PostgreSQL, in a server that had served every page, the comparison v7.0 -> v7.100 took 376-427 ms
    # instead of 274-285.
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def _build_pages(session: Session) -> None:
    """The busiest pages at the newest release, built as a reader's first request builds them: the overview,
    the release page, the biggest subsystem's page, the whole tree's and fs/'s."""
    view = View(METRICS[DEFAULT_METRIC], Count.USES, None)
    newest = releases.release_ref(session, None)
    overview = page_contexts.overview(session, view)
    page_contexts.comparison(session, view, releases.previous_release(session, newest), newest, ContextFilter())
    for row in overview.subsystems.rows[:1]:
        page_contexts.subsystem(session, view, row.place.name, ContextFilter())
    for path in ("", "fs"):
        if places.path_id(session, path) is not None:
            page_contexts.tree(session, view, path, ContextFilter())
