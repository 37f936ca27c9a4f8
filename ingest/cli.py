"""The `nofs` command: a thin shell over the library calls. Errors are one line and a non-zero exit.

Each command imports its own machinery when it runs (`nofs --help` reads no database or git code, and
`nofs report` and `nofs serve` none of the ingest's).
"""

import logging
import os
import signal
import sys
import time
from typing import Any

import click

from app.lines import KERNEL_TAG_PATTERN
from app.registry import NAMES
from app.scope_rules import Finding

log = logging.getLogger("nofs")


class _Fail(click.ClickException):
    def show(self, file: Any = None) -> None:
        click.echo(f"nofs: error: {self.message}", err=True)


def _fail_on_errors(func: Any) -> Any:
    """Turn the errors a user can cause into one line and exit status 1."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError

        from app.db import safe_url
        from app.errors import NotFound
        from app.settings import get_settings
        from ingest.errors import IngestError

        try:
            return func(*args, **kwargs)
        except (IngestError, NotFound) as exc:
            raise _Fail(str(exc).strip('"')) from exc
        except OperationalError as exc:
            url = safe_url(get_settings().database_url)
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise _Fail(f"cannot use the database {url}: {reason}") from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@click.group()
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
@_fail_on_errors
def db_upgrade() -> None:
    """Create or migrate the database named by DATABASE_URL to the newest schema."""
    from app.db import make_engine, safe_url
    from app.settings import get_settings
    from migrations.runner import upgrade

    url = get_settings().database_url
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    click.echo(f"database {safe_url(url)} is at the newest schema")


@db.command("revision")
@click.option("-m", "--message", required=True, help="what the migration changes, e.g. 'occurrence context'")
@_fail_on_errors
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


@main.command("ingest")
@click.argument("source")
@click.option("--tags", "tag_pattern", default=None, help=f"regex for release tags [{KERNEL_TAG_PATTERN}]")
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
    from sqlalchemy.exc import OperationalError

    from app.settings import get_settings
    from ingest.errors import IngestError
    from ingest.progress import ingest_with_progress
    from ingest.run import IngestOptions
    from ingest.tags import TagSelection

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
        click.echo(ingest_with_progress(options, settings.database_url).summary())
        return
    while True:
        try:
            click.echo(ingest_with_progress(options, settings.database_url).summary())
        except (IngestError, OperationalError) as exc:  # the database restarting, the mirror unreachable…
            log.error("nofs: this round failed, retrying in %d s: %s", watch, str(exc).strip().splitlines()[0])
        time.sleep(watch)


def _stop(signum: int, _frame: object) -> None:
    """SIGTERM (docker stop, kill): unwind like an error, so the open release rolls back and the scan
    workers are shut down rather than left behind."""
    click.echo("nofs: stopped by SIGTERM; every release stored before it is kept, a re-run resumes", err=True)
    sys.exit(128 + signum)


@main.command("scopes")
@click.argument("source")
@click.option(
    "--release", "tags", multiple=True, metavar="TAG", help="an ingested release to read (again) [the newest]"
)
@click.option("--all", "every", is_flag=True, help="every ingested release not yet read by the current rule")
@click.option("--glob", "globs", multiple=True, help="file globs to read [*.c *.h]")
@_fail_on_errors
def scopes_command(source: str, tags: tuple[str, ...], every: bool, globs: tuple[str, ...]) -> None:
    """Read ingested releases of SOURCE (the repository given to `nofs ingest`) for allocation scopes: which
    GFP_NOFS/GFP_NOIO uses are redundant in an open scope, across calls, with the caller chain that proves it;
    unpaired saves, foreign restores, wrapper scopes. The newest release by default. A kernel release takes two
    to three minutes and a few GB of memory; further releases of the same run, about half that. Run it after
    `nofs ingest`."""
    from app.db import make_engine
    from app.settings import get_settings
    from ingest.scopes.run import ScopeOptions, read_releases
    from migrations.runner import upgrade_if_behind

    if tags and every:
        raise _Fail("--release and --all cannot be combined")
    signal.signal(signal.SIGTERM, _stop)
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade_if_behind(engine)
        options = ScopeOptions(
            source=source,
            cache_dir=settings.cache_dir,
            globs=globs or settings.include_globs,
            line_max_chars=settings.line_max_chars,
            tags=tags,
            every=every,
        )
        click.echo(read_releases(engine, options).summary())
    finally:
        engine.dispose()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the dashboard (it reads only the database: no repository is needed)."""
    import uvicorn

    uvicorn.run("app.main:app", host=host, port=port, workers=workers, log_level="info")


@main.command("report")
@click.option("--release", "tag", default=None, help="release tag [the newest ingested]")
@click.option(
    "--path",
    default="",
    help="a directory or file: its children are listed; with --by callee or scope, it and all below it "
    "[the whole tree]",
)
@click.option(
    "--subsystem", default=None, help="with --by callee or scope: a MAINTAINERS subsystem's files (below --path)"
)
@click.option(
    "--by",
    type=click.Choice(["path", "subsystem", "callee", "scope", "change", "fixes"]),
    default="path",
    help="group by path, subsystem, or what each code occurrence is an argument of (callee, role, flags); or "
    "list what `nofs scopes` found (scope): uses redundant inside an open scope, unpaired saves, …; or split the "
    "change in uses since --from by kind (change): converted, removed with its code, moved, added; or list the "
    "conversions since --from that a later commit's Fixes: trailer names (fixes)",
)
@click.option(
    "--metric",
    type=click.Choice(NAMES),
    default=None,
    help="one identifier [all tracked; with --by callee, GFP_NOFS]",
)
@click.option("--callee", default=None, help="with --by callee: only the occurrences that are an argument of it")
@click.option("--flag", default=None, help="with --by callee: only the occurrences combined with it (__GFP_NOFAIL)")
@click.option(
    "--kind",
    type=click.Choice([f.value for f in Finding]),
    default=None,
    help="with --by scope: only the findings of this kind",
)
@click.option("--from", "from_tag", default=None, help="with --by change: the older release [the one before --release]")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@_fail_on_errors
def report_command(
    tag: str | None,
    path: str,
    subsystem: str | None,
    by: str,
    metric: str | None,
    callee: str | None,
    flag: str | None,
    kind: str | None,
    from_tag: str | None,
    fmt: str,
) -> None:
    """Counts per directory child or per MAINTAINERS subsystem at one release, by kind, with totals; or
    (--by callee) the code occurrences of one identifier by callee, role and flag; or (--by scope) the scope
    findings of a release, each with its evidence; or (--by change) the change in uses since --from split by
    kind of change."""
    from sqlalchemy.orm import Session

    from app import queries
    from app.db import make_engine, safe_url
    from app.metrics import DEFAULT_METRIC, METRICS
    from app.settings import get_settings
    from ingest import report_format
    from migrations.runner import current_revision

    if by == "subsystem" and path:
        raise _Fail("--path and --by subsystem cannot be combined")
    if by != "callee" and (callee or flag):
        raise _Fail("--callee and --flag go with --by callee")
    if by not in ("callee", "scope", "change", "fixes") and subsystem:
        raise _Fail("--subsystem goes with --by callee, scope, change or fixes")
    if by not in ("change", "fixes") and from_tag:
        raise _Fail("--from goes with --by change or fixes")
    if by != "scope" and kind:
        raise _Fail("--kind goes with --by scope")
    if by == "scope" and metric:
        raise _Fail("--metric does not go with --by scope: the findings are of GFP_NOFS, GFP_NOIO and the scope API")
    url = get_settings().database_url
    engine = make_engine(url)
    try:
        if current_revision(engine) is None:
            raise _Fail(f"the database {safe_url(url)} holds nothing yet: run `nofs ingest REPOSITORY` first")
        with Session(engine) as session:
            if by == "callee":
                release = queries.release_ref(session, tag)
                place = queries.known_path(session, path) if path else None
                owner = queries.known_subsystem(session, subsystem) if subsystem else None
                asked = METRICS[metric or DEFAULT_METRIC]
                found = queries.context_breakdown(session, release, asked, place, owner, callee, flag)
                click.echo(report_format.render_context(found, fmt))
                return
            if by == "scope":
                _report_scopes(session, tag, path, subsystem, kind, fmt)
                return
            if by in ("change", "fixes"):
                _report_interval(session, by, tag, from_tag, path, subsystem, metric, fmt)
                return
            report = (
                queries.subsystem_report(session, tag, metric)
                if by == "subsystem"
                else queries.path_report(session, tag, path, metric)
            )
    finally:
        engine.dispose()
    click.echo(report_format.render(report, fmt))


def _report_interval(
    session: Any,
    by: str,
    tag: str | None,
    from_tag: str | None,
    path: str,
    subsystem: str | None,
    metric: str | None,
    fmt: str,
) -> None:
    """`nofs report --by change` and `--by fixes`: what /api/v1/change-kinds and /api/v1/fixes answer for the
    intervals from --from (the release before) to --release."""
    from app import attribution, fixes, queries
    from app.metrics import DEFAULT_METRIC, METRICS, Count
    from ingest import report_format

    newer = queries.release_ref(session, tag)
    older = queries.release_ref(session, from_tag) if from_tag else queries.previous_release(session, newer)
    if older is None:
        raise _Fail(f"{newer.tag} is the first ingested release: nothing to compare it with")
    place = (queries.known_path(session, path) or None) if path else None
    owner = queries.known_subsystem(session, subsystem) if subsystem else None
    within = attribution.releases_between(session, older, newer)
    if not within:
        raise _Fail(f"{older.tag} is not an older release on {newer.tag}'s line")
    asked = METRICS[metric or DEFAULT_METRIC]
    if by == "fixes":
        found = fixes.needed_fixes(session, asked, Count.USES, within, path=place, subsystem=owner)
        click.echo(report_format.render_fixes(older.tag, newer.tag, found, fmt))
        return
    split = attribution.change_split(session, asked, within, path=place, subsystem=owner)
    if split is None and fmt == "csv":
        click.echo(f"nofs: {older.tag} -> {newer.tag}: {report_format.NOT_SPLIT}", err=True)
    click.echo(report_format.render_change(older.tag, newer.tag, asked.key, place, owner, split, fmt))


def _report_scopes(session: Any, tag: str | None, path: str, subsystem: str | None, kind: str | None, fmt: str) -> None:
    """`nofs report --by scope`: the question /api/v1/scopes and the pages' scope section answer."""
    from app import queries, scopes
    from ingest import report_format

    release = queries.release_ref(session, tag)
    place = (queries.known_path(session, path) or None) if path else None
    owner = queries.known_subsystem(session, subsystem) if subsystem else None
    summary = scopes.summary(session, release, place, owner)
    rows = scopes.findings(session, release, place, owner, Finding(kind) if kind else None)
    if not summary.read and fmt == "csv":  # an empty CSV would read as "nothing found"
        click.echo(f"nofs: {release.tag}: {scopes.NOT_READ}", err=True)
    click.echo(report_format.render_scopes(summary, rows, kind, fmt))


if __name__ == "__main__":
    main()
