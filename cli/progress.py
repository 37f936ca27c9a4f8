"""Progress of an ingest on a terminal (rich bars) or in a log, and the one call that runs it."""

import sys
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from app.db import make_engine
from ingest.run import IngestOptions, IngestStats, LogProgress, ingest

if TYPE_CHECKING:  # rich is imported only for a terminal
    from rich.progress import Progress


class RichProgress:
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


def ingest_with_progress(options: IngestOptions, database_url: str) -> IngestStats:
    """Bars on a terminal, log lines elsewhere."""
    engine: Engine = make_engine(database_url)
    try:
        if not sys.stderr.isatty():
            return ingest(engine, options, LogProgress())
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            return ingest(engine, options, RichProgress(bar))
    finally:
        engine.dispose()
