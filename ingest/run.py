"""Ingest a repository release by release: one library call, one stats object, one transaction per release."""

import logging
import os
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app import web_views
from app.db import safe_url
from app.lines import Line
from app.models import Release
from app.registry import NAMES
from ingest import intervals, refs, schemes, store
from ingest.backfill import REGISTERED
from ingest.backfill.protocol import Backfill, Backfilled, Pending, Sources, fill_in
from ingest.errors import IngestError
from ingest.intervals import IntervalProgress, IntervalTodo
from ingest.refs import SkippedTag, TaggedCommit, TagTarget
from ingest.tags import SchemeChoice, TagSelection, scheme_of, select_tags
from ingest.versions import ReleaseVersion, ref_version
from migrations.runner import upgrade_if_behind

# The git machinery (pygit2 and what is built on it) and the scanner (dulwich, hyperscan) are imported
# only when there is work to do: a run with nothing new is over before they would have loaded.
if TYPE_CHECKING:
    import pygit2

    from ingest.scan import BlobScanner, PendingScan, ScannedBlob

log = logging.getLogger(__name__)

_Target = tuple[TaggedCommit, ReleaseVersion]

# Releases handed to the workers ahead of the one being stored: small stable releases then never leave
# a core idle while this process writes to the database.
PIPELINE_DEPTH = 3


@dataclass(frozen=True)
class IngestOptions:
    source: str
    cache_dir: FsPath
    selection: TagSelection = field(default_factory=TagSelection)
    globs: tuple[str, ...] = ("*.c", "*.h")
    names: tuple[str, ...] = NAMES
    line_max_chars: int = 240
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    commits: bool = True  # attribute each release interval to its commits and merges
    refs: tuple[str, ...] = ()  # moving refs (a branch, or a tag glob for its newest tag): provisional points


@dataclass
class IngestStats:
    releases_ingested: list[str] = field(default_factory=list)
    releases_moved: list[str] = field(default_factory=list)
    releases_unchanged: int = 0
    releases_elsewhere: int = 0  # taken, or stored meanwhile, by another worker on the same database
    skipped: list[SkippedTag] = field(default_factory=list)  # selected tags that are not releases to count
    provisional: list[str] = field(default_factory=list)  # moving refs, as "name at commit"
    blobs_scanned: int = 0
    bytes_scanned: int = 0
    binary_skipped: int = 0
    not_utf8: int = 0
    occurrences_stored: int = 0
    intervals_attributed: int = 0
    commits_walked: int = 0
    commits_with_changes: int = 0
    shallow_boundaries: int = 0  # intervals whose attribution starts at a shallow clone's boundary
    intervals_skipped: list[str] = field(default_factory=list)  # their previous release's commit is missing
    fixes_stored: int = 0  # Fixes: trailers of the intervals attributed now
    backfilled: dict[str, Backfilled] = field(default_factory=lambda: {b.name: Backfilled() for b in REGISTERED})
    attribution_seconds: float = 0.0
    seconds: float = 0.0

    def summary(self) -> str:
        moved = f" ({len(self.releases_moved)} moved: {', '.join(self.releases_moved)})" if self.releases_moved else ""
        return (
            f"ingested {len(self.releases_ingested)} release(s){moved}, "
            f"{self.releases_unchanged} already stored"
            f"{f', {self.releases_elsewhere} left to other workers' if self.releases_elsewhere else ''}; "
            f"scanned {self.blobs_scanned:,} blobs ({self.bytes_scanned / 1e6:,.1f} MB), "
            f"{self.binary_skipped:,} binary skipped, {self.not_utf8:,} not UTF-8 (counted as bytes); "
            f"stored {self.occurrences_stored:,} occurrences{self._attribution()}{self._backfills()} "
            f"in {self.seconds:.1f} s{self._skipped()}{self._provisional()}"
        )

    def _backfills(self) -> str:
        done = [(b, self.backfilled[b.name]) for b in REGISTERED]
        return "".join(b.summary(d) for b, d in done if d.done or d.missing)

    def _provisional(self) -> str:
        return f"; provisional: {', '.join(self.provisional)}" if self.provisional else ""

    def _skipped(self) -> str:
        if not self.skipped:
            return ""
        return f"; skipped {len(self.skipped)} tag(s): {_listed(self.skipped)}"

    def _attribution(self) -> str:
        if not self.intervals_attributed and not self.intervals_skipped:
            return ""
        rate = self.commits_walked / self.attribution_seconds if self.attribution_seconds else 0.0
        shallow = f", {self.shallow_boundaries} starting at the shallow boundary" if self.shallow_boundaries else ""
        skipped = (
            f"; not attributed (the previous release's commit is missing): {', '.join(self.intervals_skipped)}"
            if self.intervals_skipped
            else ""
        )
        return (
            f"; attributed {self.intervals_attributed} release(s){shallow}: {self.commits_walked:,} commits walked"
            f" ({rate:,.0f}/s), {self.commits_with_changes:,} moved a count, {self.fixes_stored:,} Fixes: trailer(s)"
            f"{skipped}"
        )


class Progress(IntervalProgress, Protocol):
    def releases(self, total: int) -> None: ...
    def release_started(self, tag: str, blobs: int) -> None: ...
    def blobs_scanned(self, count: int) -> None: ...
    def release_done(self, tag: str, message: str) -> None: ...


class LogProgress:
    """Plain log lines, for when the output is not a terminal."""

    def releases(self, total: int) -> None:
        log.info("%d release(s) to ingest", total)

    def release_started(self, tag: str, blobs: int) -> None:
        log.info("%s: scanning %d new blob(s)", tag, blobs)

    def blobs_scanned(self, count: int) -> None:
        pass

    def release_done(self, tag: str, message: str) -> None:
        log.info("%s: %s", tag, message)

    def interval_started(self, tag: str, since: str | None) -> None:
        if since:
            log.info("%s: attributing the commits since %s", tag, since)

    def interval_done(self, tag: str, message: str) -> None:
        log.info("%s: %s", tag, message)


@dataclass
class _Base:
    """The release a new one is diffed against: stored already, or the one ingested just before it."""

    tag: str
    tree_id: str
    sort_key: str
    release_id: int | None = None
    files: dict[str, str] | None = None  # path -> blob oid, known when it was ingested in this run


@dataclass
class _Prepared:
    target: TagTarget
    version: ReleaseVersion
    base: _Base | None
    changed: dict[str, str | None]
    to_scan: list[str]
    pending: "PendingScan"
    own: _Base  # this release as the base of the next one; its files are known once it is stored


def ingest(engine: Engine, options: IngestOptions, progress: Progress | None = None) -> IngestStats:
    """Ingest every selected release not yet stored (or whose tag moved), oldest first; then attribute the
    intervals not attributed yet, and fill in what data migrations added (ingest/backfill/).

    Scanning is pipelined: the workers read the blobs of the next releases while this process stores one.
    """
    started = time.monotonic()
    progress = progress or LogProgress()
    try:
        upgrade_if_behind(engine)
    except OperationalError as exc:
        raise IngestError(f"cannot use the database {safe_url(str(engine.url))}: {_first_line(exc)}") from exc
    git = _Git(refs.locate(options.source, options.cache_dir, options.selection, options.refs))
    targets, skipped, scheme = _targets(options, git)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with sessions() as session, session.begin():
        _reconcile(session, options, git, scheme, targets)
    plan = _plan(sessions, options, git, targets)
    stats = IngestStats(releases_unchanged=len(targets) - len(plan.todo), skipped=skipped)
    for backfill, pending in plan.backfills.items():
        stats.backfilled[backfill.name].missing = pending.missing
    stats.provisional = [f"{t.name} at {t.commit_id[:12]}" for t, v in targets if v.line == Line.REF]
    progress.releases(len(plan.todo))
    if plan.idle():
        stats.seconds = time.monotonic() - started
        return stats  # nothing to scan: no workers to start
    from ingest.scan import BlobScanner

    run = _Run(git.repo, options, stats, progress, sessions, store.Claims(engine))
    with BlobScanner(_repo_dir(git.repo), options.names, options.line_max_chars, options.jobs) as scanner:
        try:
            run.releases(scanner, plan)
            if options.commits:
                run.attribute(scanner, plan.selected)
            run.backfill(scanner, plan.backfills)
            with sessions() as session, session.begin():
                store.refresh_statistics(session)
        finally:
            run.claims.close()
    stats.seconds = time.monotonic() - started
    return stats


def _targets(options: IngestOptions, git: "_Git") -> tuple[list[_Target], list[SkippedTag], SchemeChoice]:
    """The selected tags that are releases to count, with the moving refs after them; the tags skipped; and the
    scheme they were read under."""
    peeled = refs.peeled_tags(git.dir)  # every tag, by name: one listing serves selecting and resolving
    scheme = scheme_of(peeled, options.selection)
    try:
        selected = select_tags(list(peeled), options.selection, scheme.scheme)
    except IngestError as exc:
        raise IngestError(f"{options.source}: {exc}") from exc
    skipped: list[SkippedTag] = []
    targets: list[_Target] = []
    for tag in selected:
        resolved = peeled.get(tag.name) or git.resolve_tag(tag.name)
        if isinstance(resolved, SkippedTag):
            skipped.append(resolved)
        else:
            targets.append((resolved, tag.version))
    targets += [(git.resolve_ref(spec), ref_version(spec)) for spec in options.refs]
    if not targets:
        raise IngestError(f"{options.source}: every selected tag was skipped: {_listed(skipped)}")
    return targets, skipped, scheme


def _reconcile(
    session: Session, options: IngestOptions, git: "_Git", scheme: SchemeChoice, targets: list[_Target]
) -> None:
    """Bring what is stored in line with this run: the repository's scheme and links recorded, releases given
    the lines of its scheme and tag pattern, and the moving refs that moved dropped. The caller commits."""
    store.lock_writes(session)
    remote = refs.remote_of(options.source, git.dir)
    schemes.apply(session, scheme, remote, web_views.from_remote(remote), options.selection.pattern)
    store.drop_moved_refs(session, {version.series: t.name for t, version in targets if version.line == Line.REF})


@dataclass
class _Plan:
    """What a run has to do, as the database stands when it starts."""

    stored: dict[str, store.StoredRelease]
    selected: dict[str, store.PlannedRelease]  # every release this run stores or finds stored, by tag
    todo: list[tuple[TagTarget, ReleaseVersion]]  # releases to store: new, or whose tag moved
    intervals: list[IntervalTodo]  # intervals to attribute (not asked with --no-commits)
    backfills: dict[Backfill[Any, Any], Pending[Any]]  # the backfills with something waiting

    def idle(self) -> bool:
        return not self.todo and not self.intervals and not any(p.todo for p in self.backfills.values())


def _plan(sessions: sessionmaker[Session], options: IngestOptions, git: "_Git", targets: list[_Target]) -> _Plan:
    with sessions() as session:
        stored = store.stored_releases(session)
        selected = {
            t.name: store.PlannedRelease(version.key, version.line.value, version.series, t.commit_id)
            for t, version in targets
        }
        pending = intervals.pending(session, selected) if options.commits else []
        backfills = {
            backfill: backfill.pending(session, git.repo)
            for backfill in REGISTERED
            if (options.commits or not backfill.attributed_only) and backfill.waiting(session)
        }
    new = [(t, v) for t, v in targets if t.name not in stored or stored[t.name].commit_id != t.commit_id]
    todo = list(zip(refs.described(git.dir, [t for t, _ in new]), (v for _, v in new), strict=True))
    return _Plan(stored, selected, todo, pending, backfills)


def _listed(skipped: list[SkippedTag]) -> str:
    return ", ".join(f"{tag.name} ({tag.reason})" for tag in skipped)


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _repo_dir(repo: "pygit2.Repository") -> str:
    return repo.path.rstrip("/")


class _Git:
    """The repository in libgit2, imported and opened on first use."""

    def __init__(self, git_dir: str) -> None:
        self.dir = git_dir
        self._repo: pygit2.Repository | None = None

    @property
    def repo(self) -> "pygit2.Repository":
        if self._repo is None:
            from ingest.repo import open_repository

            self._repo = open_repository(self.dir)
        return self._repo

    def resolve_tag(self, name: str) -> TagTarget | SkippedTag:
        """A tag git could not peel in one step: a tag of a tag, or one whose object a shallow clone lacks."""
        from ingest.repo import resolve_tag

        return resolve_tag(self.repo, name)

    def resolve_ref(self, spec: str) -> TagTarget:
        from ingest.repo import resolve_ref

        return resolve_ref(self.repo, spec)


def _base_for(stored: dict[str, store.StoredRelease], previous: _Base | None, tag: str, key: str) -> _Base | None:
    """The nearest older release stored or ingested in this run, else the nearest newer stored one."""
    candidates = [_Base(s.tag, s.tree_id, s.sort_key, release_id=s.id) for s in stored.values() if s.tag != tag]
    if previous is not None:
        candidates = [c for c in candidates if c.tag != previous.tag] + [previous]
    older = [c for c in candidates if c.sort_key < key]
    if older:
        return max(older, key=lambda c: c.sort_key)
    return min(candidates, key=lambda c: c.sort_key) if candidates else None


class _Run:
    """One run's work once there is some: the releases, their attribution, the backfills."""

    def __init__(
        self,
        repo: "pygit2.Repository",
        options: IngestOptions,
        stats: IngestStats,
        progress: Progress,
        sessions: sessionmaker[Session],
        claims: store.Claims,
    ):
        from ingest.subsystems import SubsystemMapper
        from ingest.tree import glob_matcher

        self.repo = repo
        self.options = options
        self.stats = stats
        self.progress = progress
        self.sessions = sessions
        self.claims = claims  # releases and intervals other workers on the database hold are left to them
        self.tracked = glob_matcher(options.globs)
        self.counts_cache: dict[int, dict[str, store.Counts]] = {}
        self.in_flight: set[str] = set()  # submitted for scanning, not yet stored
        self.known: dict[str, tuple[int, bool]] | None = None  # every stored blob: oid -> (id, binary)
        self.subsystems = SubsystemMapper(repo)

    def releases(self, scanner: "BlobScanner", plan: _Plan) -> None:
        """Store the releases to do, oldest first, each in one transaction; the workers scan up to
        PIPELINE_DEPTH releases ahead of the one being stored."""
        previous: _Base | None = None  # the last release handed to the workers
        pipeline: deque[_Prepared] = deque()
        for target, version in plan.todo:
            if not self.claims.take(target.name):  # another worker on this database has it
                self.stats.releases_elsewhere += 1
                continue
            base = _base_for(plan.stored, previous, target.name, version.key)
            with self.sessions() as session:
                pipeline.append(self.prepare(session, scanner, target, version, base))
            previous = pipeline[-1].own
            if len(pipeline) > PIPELINE_DEPTH:
                self.store_release(pipeline.popleft(), len(plan.todo))
        while pipeline:
            self.store_release(pipeline.popleft(), len(plan.todo))

    def store_release(self, prepared: _Prepared, releases: int) -> None:
        """Store a release the workers scanned, in one transaction, and give its claim back."""
        with self.sessions() as session, session.begin():
            self.finish(session, prepared)
        self.claims.give_back(prepared.target.name)
        stored_now = len(self.stats.releases_ingested)
        # after the 1st, 2nd, 4th, 8th … (statistics within twice the truth), unless it was the last: the run
        # refreshes them at its end anyway
        if stored_now and stored_now & (stored_now - 1) == 0 and stored_now < releases:
            with self.sessions() as session, session.begin():
                store.refresh_statistics(session)

    def attribute(self, scanner: "BlobScanner", selected: dict[str, store.PlannedRelease]) -> None:
        """Attribute every interval not attributed yet, the new releases' included."""
        from ingest import attribute

        started = time.monotonic()
        with self.sessions() as session:
            pending = intervals.pending(session, selected)
        done = attribute.attribute(
            self.sessions, self.repo, scanner, pending, self.tracked, self.claims, self.progress, self.options.jobs
        )
        stats = self.stats
        stats.intervals_attributed, stats.commits_walked = done.intervals, done.walked
        stats.commits_with_changes = done.with_changes
        stats.shallow_boundaries, stats.intervals_skipped = done.shallow_boundaries, done.skipped
        stats.fixes_stored = done.fixes
        stats.blobs_scanned += done.blobs_scanned
        stats.bytes_scanned += done.bytes_scanned
        stats.attribution_seconds = time.monotonic() - started

    def backfill(self, scanner: "BlobScanner", pending: dict[Backfill[Any, Any], Pending[Any]]) -> None:
        """Fill in what each backfill with something waiting found, in their registered order."""
        sources = Sources(self.repo, scanner)
        for backfill, waiting in pending.items():
            done = fill_in(backfill, waiting.todo, self.sessions, sources, self.claims)
            self.stats.backfilled[backfill.name].done = done

    def prepare(
        self, session: Session, scanner: "BlobScanner", target: TagTarget, version: ReleaseVersion, base: _Base | None
    ) -> _Prepared:
        """Diff against the base and hand the blobs nobody has counted yet to the workers."""
        from ingest.tree import changed_files

        changed = dict(changed_files(self.repo, base.tree_id if base else None, target.tree_id, self.tracked))
        # Path order keeps delta chains warm in the reader's base cache; oid order costs four times as much.
        if self.known is None:
            self.known = store.known_blobs(session)
        new_oids = dict.fromkeys(oid for oid in changed.values() if oid is not None)
        to_scan = [oid for oid in new_oids if oid not in self.known and oid not in self.in_flight]
        self.in_flight.update(to_scan)
        own = _Base(target.name, target.tree_id, version.key)
        return _Prepared(target, version, base, changed, to_scan, scanner.submit(to_scan), own)

    def finish(self, session: Session, prepared: _Prepared) -> None:
        """Store the release: its blobs, files, subsystems and totals. The caller commits."""
        started = time.monotonic()
        target, base = prepared.target, prepared.base
        self.progress.release_started(target.name, len(prepared.to_scan))
        scanned = self._collect(prepared.pending)
        store.lock_writes(session)
        current = store.stored_commit(session, target.name)
        if current is not None and current[1] == target.commit_id:  # another worker stored it meanwhile
            self.stats.releases_elsewhere += 1
            self.in_flight.difference_update(prepared.to_scan)
            prepared.own.files, prepared.own.release_id = None, current[0]
            return
        binary = {blob.oid: blob.scan.binary for blob in scanned}
        stored_now = store.store_blobs(session, scanned)
        files = dict(base.files) if base and base.files is not None else {}
        if base and base.files is None and base.release_id is not None:
            files = store.release_files(session, base.release_id)
        for path, oid in prepared.changed.items():
            if oid is None:
                files.pop(path, None)
            else:
                files[path] = oid
        known = self.known
        assert known is not None  # prepare() loaded it
        known.update((oid, (blob_id, binary[oid])) for oid, blob_id in stored_now.items())
        kept = {path: known[oid][0] for path, oid in files.items() if oid in known and not known[oid][1]}
        counts = self._counts(session, kept.values())
        maintainers_file_id, subsystem_in_tree = self.subsystems.for_tree(session, target.tree_id)
        subsystem_of = {path: subsystem_in_tree(path) for path in kept}
        moved = current is not None
        if current is not None:
            store.delete_release(session, current[0])
            self.stats.releases_moved.append(target.name)
        release_id = session.execute(
            insert(store.table_of(Release)).returning(Release.id),
            {
                "tag": target.name,
                "commit_id": target.commit_id,
                "tree_id": target.tree_id,
                "commit_date": target.commit_date,
                "sort_key": prepared.version.key,
                "line": prepared.version.line.value,
                "series": prepared.version.series,
                "maintainers_file_id": maintainers_file_id,
            },
        ).scalar_one()
        store.write_release_rows(session, release_id, kept, subsystem_of, counts)
        store.record_change(session, f"release {target.name} {'stored again' if moved else 'stored'}")
        self.in_flight.difference_update(prepared.to_scan)
        self.stats.releases_ingested.append(target.name)
        uses = sum(c.uses for blob_id in kept.values() for c in counts[blob_id].values())
        self.progress.release_done(
            target.name,
            f"{len(prepared.changed):,} tracked files changed, {len(prepared.to_scan):,} blobs scanned, "
            f"{len(kept):,} files with occurrences, {uses:,} uses"
            f"{' (tag moved: re-ingested)' if moved else ''}, {time.monotonic() - started:.1f} s",
        )
        prepared.own.files = {path: files[path] for path in kept}

    def _collect(self, pending: "PendingScan") -> list["ScannedBlob"]:
        interesting: list[ScannedBlob] = []
        for chunk in pending.results():
            self.stats.blobs_scanned += chunk.blobs
            self.stats.bytes_scanned += chunk.bytes
            for blob in chunk.interesting:
                interesting.append(blob)
                if blob.scan.binary:
                    self.stats.binary_skipped += 1
                elif not blob.scan.utf8:
                    self.stats.not_utf8 += 1
                self.stats.occurrences_stored += len(blob.scan.occurrences)
            self.progress.blobs_scanned(chunk.blobs)
        return interesting

    def _counts(self, session: Session, blob_ids: Iterable[int]) -> dict[int, dict[str, store.Counts]]:
        """Counts of stored blobs never change, so one run keeps those it has read."""
        wanted = set(blob_ids)
        missing = wanted - self.counts_cache.keys()
        self.counts_cache.update(store.blob_counts(session, missing))
        return {blob_id: self.counts_cache.get(blob_id, {}) for blob_id in wanted}
