"""A new server process made ready before its first reader: the chart renderer started, every template
compiled, a database connection opened and the statements of the busiest pages compiled by running them
once on the newest release, then what it holds frozen for the garbage collector. Nothing read is kept:
the query cache is emptied afterwards, so the first request for any page still reads the database."""

import gc
import logging

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import cache
from app.db import get_sessionmaker
from app.errors import NotFound
from app.metrics import DEFAULT_METRIC, METRICS, SCOPES_OPENED, Count
from app.queries import attribution, changes, counts, occurrences, places, releases
from app.queries.attribution import CommitView
from app.web import chart_routes
from app.web.pages import TOP_CHANGES, TOP_COMMITS
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
            _run_page_queries(session)
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


def _run_page_queries(session: Session) -> None:
    metric, count = METRICS[DEFAULT_METRIC], Count.USES
    newest = releases.release_ref(session, None)
    before = releases.previous_release(session, newest) or newest
    counts.path_series(session, "", metric, count)
    counts.path_series(session, "", SCOPES_OPENED, count)
    for place in counts.subsystem_places(session, newest, metric, count, with_series=1)[:1]:
        owner = places.Where(subsystem=place.name)
        counts.subsystem_series(session, place.name, metric, count)
        places.subsystem_info(session, place.name, newest)
        counts.subsystem_files(session, place.name, newest, metric, count)
        attribution.commits_up_to(session, metric, count, CommitView.COMMITS, newest, owner)
    attribution.commits_up_to(session, metric, count, CommitView.COMMITS, newest, places.Where("fs"))
    counts.children_places(session, newest, "", metric, count)
    changes.file_changes(session, before, newest, metric, count)
    changes.top_file_changes(session, before, newest, metric, count, TOP_CHANGES)
    changes.subsystem_changes(session, before, newest, metric, count)
    occurrences.occurrence_changes(session, before, newest, metric)
    occurrences.occurrence_change_summary(session, before, newest, metric)
    occurrences.in_file(session, newest, "")
    for view in CommitView:
        attribution.commit_rows(session, metric, count, view, (newest,))
    attribution.step_summary(session, metric, count, (newest,), TOP_COMMITS)
    attribution.interval(session, newest)
