"""The `nofs` command: a thin shell over the library calls. Errors are one line and a non-zero exit.

Each command imports its own machinery when it runs (`nofs --help` reads no database or git code, and
`nofs report` and `nofs serve` none of the ingest's). The worker's commands are in cli/work.py, the reports in
cli/report.py.
"""

import logging
import sys
from typing import TYPE_CHECKING

import click

from cli import report, work
from cli.errors import OneLineGroup, one_line_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.lines import Scheme


@click.group(cls=OneLineGroup)
@click.version_option(package_name="nofs", message="%(prog)s %(version)s")
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
@one_line_errors
def db_upgrade() -> None:
    """Create or migrate the database named by DATABASE_URL to the newest schema."""
    from app.db import make_engine, safe_url
    from app.settings import get_settings
    from migrations.runner import upgrade

    url = get_settings().database_url
    engine = make_engine(url)
    try:
        upgrade(engine)
        click.echo(f"database {safe_url(url)} is at the newest schema")
        _record_lines(engine, None, only_if_missing=True)
    finally:
        engine.dispose()


@db.command("relines")
@click.option(
    "--lines",
    type=click.Choice(["kernel", "flat"]),
    default=None,
    help="the release scheme [guessed from the stored tags]",
)
@one_line_errors
def db_relines(lines: str | None) -> None:
    """Give the stored releases the lines of a release scheme, from their tags alone: no repository, no scan.
    The kernel's lines (mainline, rc, stable) or one flat line (X.Y.0, X.Y.1, … on one branch); the next
    `nofs ingest` attributes again each interval whose previous release changed."""
    from app.db import make_engine
    from app.lines import Scheme
    from app.settings import get_settings
    from migrations.runner import upgrade_if_behind

    engine = make_engine(get_settings().database_url)
    try:
        upgrade_if_behind(engine)
        _record_lines(engine, Scheme(lines) if lines else None, only_if_missing=False)
    finally:
        engine.dispose()


def _record_lines(engine: "Engine", scheme: "Scheme | None", only_if_missing: bool) -> None:
    """Recompute the stored releases' lines (once, for a database ingested before repositories were recorded,
    when `only_if_missing`)."""
    from sqlalchemy.orm import Session

    from ingest import schemes, store

    with Session(engine) as session, session.begin():
        if only_if_missing and (store.stored_repository(session) is not None or not store.stored_releases(session)):
            return
        choice, changed = schemes.relines(session, scheme)
    click.echo(f"lines: {choice.scheme} ({choice.rule}); {changed} release(s) changed line")


@db.command("revision")
@click.option("-m", "--message", required=True, help="what the migration changes, e.g. 'occurrence context'")
@one_line_errors
def db_revision(message: str) -> None:
    """Write a new migration from the change to app/models.py (compared with DATABASE_URL at head)."""
    from app.db import make_engine
    from app.settings import get_settings
    from migrations.runner import revision, upgrade

    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        click.echo(f"wrote {revision(engine, message)}: read it, then set HEAD_REVISION in migrations/runner.py")
    finally:
        engine.dispose()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@one_line_errors
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the dashboard (it reads only the database: no repository is needed). A database at an older schema
    than this nofs is upgraded first, as `nofs ingest` would."""
    import uvicorn

    _upgrade_an_older_schema()
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, log_level="info")


def _upgrade_an_older_schema() -> None:
    """After an upgrade of nofs, its first `nofs serve` would otherwise find tables it does not know. A database
    never migrated is left alone (the pages say what to run)."""
    from app.db import make_engine, safe_url
    from app.settings import get_settings
    from migrations.runner import HEAD_REVISION, current_revision, upgrade

    url = get_settings().database_url
    engine = make_engine(url)
    try:
        at = current_revision(engine)
        if at is not None and at != HEAD_REVISION:
            upgrade(engine)
            click.echo(f"nofs: {safe_url(url)} upgraded from schema {at} to {HEAD_REVISION}", err=True)
            _record_lines(engine, None, only_if_missing=True)
    finally:
        engine.dispose()


main.add_command(work.ingest_command)
main.add_command(work.scopes_command)
main.add_command(report.report)

if __name__ == "__main__":
    main()
