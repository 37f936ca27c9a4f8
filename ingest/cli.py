"""The `nofs` command: a thin shell over the library calls. Errors are one line and a non-zero exit."""

import csv
import io
import json
import logging
import os
import signal
import sys
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import queries
from app.db import make_engine, safe_url
from app.registry import NAMES, RULE_TEXT
from app.schema import current_revision, upgrade
from app.settings import DEFAULT_TAG_PATTERN, get_settings
from ingest.errors import IngestError
from ingest.run import IngestOptions, LogProgress, ingest
from ingest.tags import TagSelection

if TYPE_CHECKING:
    from rich.progress import Progress

log = logging.getLogger("nofs")


class _Fail(click.ClickException):
    def show(self, file: Any = None) -> None:
        click.echo(f"nofs: error: {self.message}", err=True)


def _fail_on_errors(func: Any) -> Any:
    """Turn the errors a user can cause into one line and exit status 1."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (IngestError, queries.NotFound) as exc:
            raise _Fail(str(exc).strip('"')) from exc
        except OperationalError as exc:
            url = safe_url(get_settings().database_url)
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise _Fail(f"cannot use the database {url}: {reason}") from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="log more")
def main(verbose: bool) -> None:
    """Count GFP_NOFS/GFP_NOIO and the scoped memalloc_* APIs in a kernel's history, release by release."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", stream=sys.stderr, force=True
    )
    if not verbose:  # migrations announce themselves at INFO; a user needs to hear only of failures
        logging.getLogger("alembic").setLevel(logging.WARNING)


@main.group()
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@_fail_on_errors
def db_upgrade() -> None:
    """Create or migrate the database named by DATABASE_URL to the newest schema."""
    url = get_settings().database_url
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    click.echo(f"database {safe_url(url)} is at the newest schema")


class _RichProgress:
    """Two bars on a terminal: releases, and files of the release being ingested."""

    def __init__(self, progress: "Progress") -> None:
        self._progress = progress
        self._releases = progress.add_task("releases", total=None)
        self._files = progress.add_task("files", total=None, visible=False)

    def releases(self, total: int) -> None:
        self._progress.update(self._releases, total=total)

    def release_started(self, tag: str, blobs: int) -> None:
        self._progress.update(self._files, description=f"{tag} blobs", total=blobs, completed=0, visible=True)

    def blobs_scanned(self, count: int) -> None:
        self._progress.advance(self._files, count)

    def release_done(self, tag: str, message: str) -> None:
        self._progress.console.log(f"{tag}: {message}")
        self._progress.advance(self._releases)

    def interval_started(self, tag: str, since: str | None) -> None:
        description = f"{tag} commits since {since}" if since else f"{tag}: first release, no interval"
        self._progress.update(self._files, description=description, total=None, completed=0, visible=True)

    def interval_done(self, tag: str, message: str) -> None:
        self._progress.console.log(f"{tag}: {message}")


@main.command("ingest")
@click.argument("source")
@click.option("--tags", "tag_pattern", default=None, help=f"regex for release tags [{DEFAULT_TAG_PATTERN}]")
@click.option("--rc", is_flag=True, help="also ingest release candidates (v6.8-rc3)")
@click.option("--stable", is_flag=True, help="also ingest stable releases (v6.1.170, v2.6.39.4)")
@click.option(
    "--ref",
    "refs",
    multiple=True,
    metavar="NAME",
    help="also a moving ref as a provisional point after the newest release: a branch (for-next) or the "
    "newest tag matching a glob ('next-*'); replaced when it moves",
)
@click.option(
    "--since",
    default=None,
    help="oldest release to ingest, e.g. v4.12; from a URL, only the history since the release before it is fetched",
)
@click.option("--until", default=None, help="newest release to ingest")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="processes [all cores]")
@click.option("--glob", "globs", multiple=True, help="file globs to count in [*.c *.h]")
@click.option(
    "--watch",
    type=click.IntRange(min=1),
    default=None,
    metavar="SECONDS",
    help="keep going: fetch and ingest again every SECONDS; a failed round is logged and retried",
)
@click.option(
    "--no-commits",
    is_flag=True,
    help="skip attributing each release's change to its commits and merges",
)
@_fail_on_errors
def ingest_command(
    source: str,
    tag_pattern: str | None,
    rc: bool,
    stable: bool,
    refs: tuple[str, ...],
    since: str | None,
    until: str | None,
    jobs: int | None,
    globs: tuple[str, ...],
    watch: int | None,
    no_commits: bool,
) -> None:
    """Scan SOURCE (a local clone, bare or not, or a URL to mirror) release by release into the database.

    By default the mainline releases (v6.7, v2.6.39); --rc adds release candidates, --stable adds stable
    releases. --tags REGEX takes any other tag scheme (zfs-2.2.0, v2_15_0, next-20261120), ordered by
    the numbers in each tag, or in the regex's named group `version`.
    """
    signal.signal(signal.SIGTERM, _stop)
    settings = get_settings()
    options = IngestOptions(
        source=source,
        cache_dir=settings.cache_dir,
        selection=TagSelection(tag_pattern or settings.tag_pattern, rc, stable, since, until),
        globs=globs or settings.include_globs,
        names=NAMES,
        line_max_chars=settings.line_max_chars,
        jobs=jobs or os.cpu_count() or 1,
        commits=not no_commits,
        refs=refs,
    )
    if watch is None:
        _ingest_once(options, settings.database_url)
        return
    while True:
        try:
            _ingest_once(options, settings.database_url)
        except (IngestError, OperationalError) as exc:  # the database restarting, the mirror unreachable…
            log.error("nofs: this round failed, retrying in %d s: %s", watch, str(exc).strip().splitlines()[0])
        time.sleep(watch)


def _stop(signum: int, _frame: object) -> None:
    """SIGTERM (docker stop, kill): unwind like an error, so the open release rolls back and the scan
    workers are shut down rather than left behind."""
    click.echo("nofs: stopped by SIGTERM; every release stored before it is kept, a re-run resumes", err=True)
    sys.exit(128 + signum)


def _ingest_once(options: IngestOptions, database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
                stats = ingest(engine, options, _RichProgress(bar))
        else:
            stats = ingest(engine, options, LogProgress())
    finally:
        engine.dispose()
    click.echo(stats.summary())


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the dashboard (it reads only the database: no repository is needed)."""
    import uvicorn

    uvicorn.run("app.main:app", host=host, port=port, workers=workers, log_level="info")


def _row_dict(row: queries.CountRow) -> dict[str, Any]:
    return {**asdict(row), "total": row.total, "uses": row.uses}


_CSV_COLUMNS = (
    "release",
    "name",
    "type",
    "identifier",
    "code",
    "comment",
    "string",
    "definition",
    "total",
    "uses",
)


def _render(report: queries.Report, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "release": {**asdict(report.release), "commit_date": report.release.commit_date.isoformat()},
                "scope": report.scope,
                "metric": report.metric,
                "rule": RULE_TEXT,
                "rows": [_row_dict(r) for r in report.rows],
                "totals": [_row_dict(r) for r in report.totals],
            },
            indent=2,
        )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, _CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in [*report.rows, *report.totals]:
            writer.writerow({"release": report.release.tag, **_row_dict(row)})
        return out.getvalue().rstrip("\n")
    from rich.console import Console
    from rich.table import Table

    scope = "every MAINTAINERS subsystem" if report.scope == "subsystems" else f"/{report.scope}"
    table = Table(title=f"{report.metric or 'all tracked identifiers'} at {report.release.tag}, {scope}")
    for column in ("name", "identifier", "uses", "comment", "string", "definition", "total"):
        table.add_column(column, justify="left" if column in ("name", "identifier") else "right")
    for row in report.rows:
        table.add_row(
            row.name,
            row.identifier,
            *(str(v) for v in (row.uses, row.comment, row.string, row.definition, row.total)),
        )
    table.add_section()
    for row in report.totals:
        table.add_row(
            f"total {row.name or '/'}",
            row.identifier,
            *(str(v) for v in (row.uses, row.comment, row.string, row.definition, row.total)),
            style="bold",
        )
    out = io.StringIO()
    Console(file=out, width=140).print(table)
    return out.getvalue() + f"uses = code occurrences that are not definitions. {RULE_TEXT}"


@main.command("report")
@click.option("--release", "tag", default=None, help="release tag [the newest ingested]")
@click.option("--path", default="", help="a directory or file; its children are listed [the whole tree]")
@click.option("--by", type=click.Choice(["path", "subsystem"]), default="path", help="group by path or subsystem")
@click.option("--metric", type=click.Choice(NAMES), default=None, help="one identifier [all tracked]")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@_fail_on_errors
def report_command(tag: str | None, path: str, by: str, metric: str | None, fmt: str) -> None:
    """Counts per directory child or per MAINTAINERS subsystem at one release, by kind, with totals."""
    if by == "subsystem" and path:
        raise _Fail("--path and --by subsystem cannot be combined")
    url = get_settings().database_url
    engine = make_engine(url)
    try:
        if current_revision(engine) is None:
            raise _Fail(f"the database {safe_url(url)} holds nothing yet: run `nofs ingest REPOSITORY` first")
        with Session(engine) as session:
            report = (
                queries.subsystem_report(session, tag, metric)
                if by == "subsystem"
                else queries.path_report(session, tag, path, metric)
            )
    finally:
        engine.dispose()
    click.echo(_render(report, fmt))


if __name__ == "__main__":
    main()
