"""`nofs report`: the API's answers (app/api/answers.py) from the database, as a table, JSON or CSV.

JSON is the API's JSON and CSV the API's CSV, from the same models; a table prints those models for a terminal."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from app.metrics import DEFAULT_METRIC, METRICS
from app.scope_rules import Finding
from cli.errors import Fail, one_line_errors

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy.orm import Session

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "json", "csv")


@click.group("report")
def report() -> None:
    """What the dashboard and the API answer, from the database: counts per path or subsystem, what the code
    uses are passed to, the scope findings, the change split by kind, the conversions that needed a fix."""


def _release(func: F) -> F:
    return click.option("--release", "tag", default=None, help="release tag [the newest ingested]")(func)


def _format(func: F) -> F:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)(func)


def _metric(default: str | None, what: str) -> Callable[[F], F]:
    return click.option(
        "--metric",
        type=click.Choice(list(METRICS)),
        default=default,
        show_default=default is not None,
        help=f"what to count: a headline metric (legacy, scoped) or one identifier [{what}]",
    )


def _place(func: F) -> F:
    func = click.option("--subsystem", default=None, help="a MAINTAINERS subsystem's files (below --path)")(func)
    return click.option("--path", default=None, help="a directory (with all below it) or a file [the whole tree]")(func)


def _interval(func: F) -> F:
    return click.option("--from", "from_tag", default=None, help="the older release [the one before --release]")(func)


@contextmanager
def _session() -> Iterator["Session"]:
    """A read session on the database DATABASE_URL names; an error when nothing was ever ingested into it."""
    from sqlalchemy.orm import Session

    from app.db import make_engine, safe_url
    from app.settings import get_settings
    from migrations.runner import current_revision

    url = get_settings().database_url
    engine = make_engine(url)
    try:
        if current_revision(engine) is None:
            raise Fail(f"the database {safe_url(url)} holds nothing yet: run `nofs ingest REPOSITORY` first")
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _print(body: "BaseModel", fmt: str, table: Callable[[Any], str]) -> None:
    from app.api.answers import as_csv

    if fmt == "json":
        click.echo(json.dumps(body.model_dump(mode="json", by_alias=True), indent=2))
    elif fmt == "csv":
        click.echo(as_csv(body), nl=False)
    else:
        click.echo(table(body))


@report.command("path")
@_release
@click.option("--path", default="", help="a directory or a file: its children are listed [the whole tree]")
@_metric(None, "every tracked identifier, one row each")
@_format
@one_line_errors
def path_command(tag: str | None, path: str, metric: str | None, fmt: str) -> None:
    """Counts per child of a directory at one release, by kind, each identifier apart, with the totals."""
    from app.api import answers
    from app.queries import counts
    from cli import tables

    with _session() as session:
        body = answers.count_report(counts.path_report(session, tag, path, metric))
    _print(body, fmt, tables.counts)


@report.command("subsystem")
@_release
@_metric(None, "every tracked identifier, one row each")
@_format
@one_line_errors
def subsystem_command(tag: str | None, metric: str | None, fmt: str) -> None:
    """Counts per MAINTAINERS subsystem at one release, by kind, each identifier apart, with the totals."""
    from app.api import answers
    from app.queries import counts
    from cli import tables

    with _session() as session:
        body = answers.count_report(counts.subsystem_report(session, tag, metric))
    _print(body, fmt, tables.counts)


@report.command("callee")
@_release
@_place
@click.option("--callee", default=None, help="only the occurrences that are an argument of it (kmalloc)")
@click.option("--flag", default=None, help="only the occurrences combined with it (__GFP_NOFAIL)")
@_metric(DEFAULT_METRIC, "")
@_format
@one_line_errors
def callee_command(
    tag: str | None,
    path: str | None,
    subsystem: str | None,
    callee: str | None,
    flag: str | None,
    metric: str,
    fmt: str,
) -> None:
    """What the code occurrences of a metric are passed to: by callee, role and flag (/api/v1/context)."""
    from app.api import answers
    from app.queries import places, releases
    from app.queries.context import context_breakdown
    from cli import tables

    with _session() as session:
        release = releases.release_ref(session, tag)
        where = places.where(session, path, subsystem)
        body = answers.context(context_breakdown(session, release, METRICS[metric], where, callee, flag))
    _print(body, fmt, tables.context)


@report.command("scope")
@_release
@_place
@click.option("--kind", type=click.Choice([f.value for f in Finding]), default=None, help="only this kind")
@_format
@one_line_errors
def scope_command(tag: str | None, path: str | None, subsystem: str | None, kind: str | None, fmt: str) -> None:
    """What `nofs scopes` found at a release, each finding with its evidence (/api/v1/scopes): uses redundant
    inside an open scope, unpaired saves, foreign restores, wrapper scopes, openers and closers."""
    from app.api import answers
    from app.queries import places, releases, scopes
    from cli import tables

    with _session() as session:
        release = releases.release_ref(session, tag)
        where = places.where(session, path, subsystem)
        body = answers.scope_page(session, release, where, Finding(kind) if kind else None, answers.EVERY_ITEM)
    if not body.read and fmt == "csv":  # an empty CSV would read as "nothing found"
        click.echo(f"nofs: {release.tag}: {scopes.NOT_READ}", err=True)
    _print(body, fmt, tables.scopes)


@report.command("change")
@_release
@_interval
@_place
@_metric(DEFAULT_METRIC, "")
@_format
@one_line_errors
def change_command(
    tag: str | None, from_tag: str | None, path: str | None, subsystem: str | None, metric: str, fmt: str
) -> None:
    """The change in uses since --from split by kind of change: converted, removed with its code, moved, added
    (/api/v1/change-kinds)."""
    from app.api import answers
    from app.queries import places, releases
    from cli import tables

    with _session() as session:
        interval = releases.interval_between(session, from_tag, tag)
        body = answers.change_kinds(session, METRICS[metric], interval, places.where(session, path, subsystem))
    if body.split is None and fmt == "csv":
        click.echo(f"nofs: {body.from_} -> {body.to}: {tables.NOT_SPLIT}", err=True)
    _print(body, fmt, tables.change)


@report.command("fixes")
@_release
@_interval
@_place
@_metric(DEFAULT_METRIC, "")
@_format
@one_line_errors
def fixes_command(
    tag: str | None, from_tag: str | None, path: str | None, subsystem: str | None, metric: str, fmt: str
) -> None:
    """The conversions since --from that a later commit's Fixes: trailer names, each with its fix (/api/v1/fixes)."""
    from app.api import answers
    from app.metrics import Count
    from app.queries import places, releases
    from cli import tables

    with _session() as session:
        interval = releases.interval_between(session, from_tag, tag)
        where = places.where(session, path, subsystem)
        body = answers.fix_page(session, METRICS[metric], Count.USES, interval, where, answers.EVERY_ITEM)
    _print(body, fmt, tables.fixes)
