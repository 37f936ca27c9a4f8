"""The worker's commands: `nofs ingest` (releases, then their commits) and `nofs scopes` (allocation scopes)."""

import logging
import os
import signal
import sys
import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ingest.run import IngestOptions

from app.lines import KERNEL_TAG_PATTERN, Scheme
from app.registry import NAMES
from cli.errors import Fail, one_line_errors

log = logging.getLogger("nofs")


@click.command("ingest")
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
@click.option(
    "--lines",
    type=click.Choice(["kernel", "flat"]),
    default=None,
    help="how the tags make lines: the kernel's (mainline, rc, stable) or one line in version order (X.Y.0, "
    "X.Y.1, … on one branch) [guessed from the tags]",
)
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
@click.option(
    "--scopes",
    "read_scopes",
    is_flag=True,
    help="after each round, read allocation scopes (as nofs scopes) of the newest mainline release and of every "
    "one ingested after the newest read, and of the moving refs; with --watch, what a deployment's worker does",
)
@one_line_errors
def ingest_command(
    source: str,
    tag_pattern: str | None,
    rc: bool,
    stable: bool,
    refs: tuple[str, ...],
    since: str | None,
    until: str | None,
    lines: str | None,
    jobs: int | None,
    globs: tuple[str, ...],
    watch: int | None,
    no_commits: bool,
    read_scopes: bool,
) -> None:
    """Scan SOURCE (a local clone, bare or not, or a URL to mirror) release by release into the database.

    By default the mainline releases (v6.7, v2.6.39); --rc adds release candidates, --stable adds stable
    releases. --tags REGEX takes any other tag scheme (zfs-2.2.0, v2_15_0, next-20261120), ordered by
    the numbers in each tag, or in the regex's named group `version`. A repository whose releases are X.Y.0,
    X.Y.1, … on one branch (bcachefs-tools, xfsprogs, OpenZFS) is one line in version order: guessed from its
    tags, or chosen by --lines.
    """
    from sqlalchemy.exc import OperationalError

    from app.settings import get_settings
    from ingest.errors import IngestError
    from ingest.run import IngestOptions
    from ingest.tags import TagSelection

    signal.signal(signal.SIGTERM, _stop)
    settings = get_settings()
    options = IngestOptions(
        source=source,
        cache_dir=settings.cache_dir,
        selection=TagSelection(
            tag_pattern or settings.tag_pattern, rc, stable, since, until, Scheme(lines) if lines else None
        ),
        globs=globs or settings.include_globs,
        names=NAMES,
        line_max_chars=settings.line_max_chars,
        jobs=jobs or os.cpu_count() or 1,
        commits=not no_commits,
        refs=refs,
    )
    if watch is None:
        _round(options, settings.database_url, read_scopes)
        return
    while True:
        try:
            _round(options, settings.database_url, read_scopes)
        except (IngestError, OperationalError) as exc:  # the database restarting, the mirror unreachable…
            log.error("nofs: this round failed, retrying in %d s: %s", watch, str(exc).strip().splitlines()[0])
        time.sleep(watch)


def _round(options: "IngestOptions", database_url: str, read_scopes: bool) -> None:
    """One ingest, then (with --scopes) the scopes of the releases it made newest, as `nofs scopes` reads them."""
    from cli.progress import ingest_with_progress

    click.echo(ingest_with_progress(options, database_url).summary())
    if not read_scopes:
        return
    from app.db import make_engine
    from ingest.scopes.run import ScopeOptions, read_releases  # the git machinery: only when asked for

    engine = make_engine(database_url)
    try:
        scope_options = ScopeOptions(
            options.source, options.cache_dir, options.globs, options.line_max_chars, unread=True
        )
        click.echo(read_releases(engine, scope_options).summary())
    finally:
        engine.dispose()


def _stop(signum: int, _frame: object) -> None:
    """SIGTERM (docker stop, kill): unwind like an error, so the open release rolls back and the scan
    workers are shut down rather than left behind."""
    click.echo("nofs: stopped by SIGTERM; every release stored before it is kept, a re-run resumes", err=True)
    sys.exit(128 + signum)


@click.command("scopes")
@click.argument("source")
@click.option(
    "--release", "tags", multiple=True, metavar="TAG", help="an ingested release to read (again) [the newest]"
)
@click.option("--all", "every", is_flag=True, help="every ingested release not yet read by the current rule")
@click.option("--glob", "globs", multiple=True, help="file globs to read [*.c *.h]")
@one_line_errors
def scopes_command(source: str, tags: tuple[str, ...], every: bool, globs: tuple[str, ...]) -> None:
    """Read ingested releases of SOURCE (the repository given to `nofs ingest`) for allocation scopes: which
    GFP_NOFS/GFP_NOIO uses are redundant in an open scope, across calls, with the caller chain that proves it;
    unpaired saves, foreign restores, wrapper scopes. The newest release by default. A kernel release takes two
    to three minutes and under 1 GB of memory (its files wait in a temporary file); further releases of the same
    run, about half that. Run it after `nofs ingest`, or use `nofs ingest --scopes`."""
    from app.db import make_engine
    from app.settings import get_settings
    from ingest.scopes.run import ScopeOptions, read_releases
    from migrations.runner import upgrade_if_behind

    if tags and every:
        raise Fail("--release and --all cannot be combined")
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
