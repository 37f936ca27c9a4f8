"""`nofs scopes`: read ingested releases' trees for allocation scopes and store the findings.

One transaction a release: its old findings are replaced with the new ones and its `scope_analyses` row
written together, so a killed run leaves every release either as it was or fully read, and a re-run reads
what is left. A release read by the current rule (app/scope_rules.py RULE_VERSION) is not read again. Each
release is claimed as `scopes TAG` (ingest/store.py Claims) while it is read: several workers on one database
never read the same release at once, and one that finds it read meanwhile leaves it.
"""

import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath

import pygit2
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.lines import Line, main_axis
from app.models import Release, ScopeAnalysis, ScopeFinding
from app.scope_rules import RULE_VERSION, Finding
from ingest import store
from ingest.blobs import BlobReader
from ingest.count import bounded_line
from ingest.errors import IngestError
from ingest.refs import locate_ingested
from ingest.repo import open_repository
from ingest.scopes.spill import BlobSpill, SpilledTree
from ingest.scopes.tree import FactsCache, ScopeReading, read_scopes
from ingest.subsystems import SubsystemMapper
from ingest.tree import file_changes, glob_matcher

log = logging.getLogger("nofs")


@dataclass(frozen=True, slots=True)
class ScopeOptions:
    source: str
    cache_dir: FsPath
    globs: tuple[str, ...]
    line_max_chars: int
    tags: tuple[str, ...] = ()  # releases to read; none: the newest ingested
    every: bool = False  # every ingested release not read by the current rule
    # a watching worker's round: the releases of the main axis (and moving refs) newer than the newest read
    # by the current rule; the newest alone when none is read yet
    unread: bool = False


@dataclass(slots=True)
class ScopeStats:
    read: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already read by the current rule
    elsewhere: list[str] = field(default_factory=list)  # another worker holds it, or read it meanwhile
    redundant: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        others = f"; left to other workers: {', '.join(self.elsewhere)}" if self.elsewhere else ""
        if not self.read:
            return f"scopes: nothing to read ({len(self.kept)} release(s) already read by rule {RULE_VERSION}){others}"
        counts = ", ".join(f"{tag}: {n} redundant in scope" for tag, n in self.redundant.items())
        return f"scopes: read {len(self.read)} release(s) in {self.seconds:.0f} s ({counts}){others}"


def read_releases(engine: Engine, options: ScopeOptions) -> ScopeStats:
    """Read and store the asked releases' scopes; the stats of the run."""
    began = time.monotonic()
    stats = ScopeStats()
    git_dir = locate_ingested(options.source, options.cache_dir)
    with Session(engine) as session:
        releases = _asked(session, options)
        done = _read_by(session)
    reader = _Reader(open_repository(git_dir), git_dir, options, store.Claims(engine))
    try:
        for release_id, tag, tree_id in releases:
            if done.get(release_id) == RULE_VERSION and (options.every or options.unread or not options.tags):
                stats.kept.append(tag)
            elif not reader.claims.take(f"scopes {tag}"):
                stats.elsewhere.append(tag)
            else:
                try:
                    reader.read(engine, stats, release_id, tag, tree_id)
                finally:
                    reader.claims.give_back(f"scopes {tag}")
    finally:
        reader.close()
    stats.seconds = time.monotonic() - began
    return stats


def _read_by(session: Session, release_id: int | None = None) -> dict[int, int]:
    """release id -> the rule its scopes were read by."""
    query = select(ScopeAnalysis.release_id, ScopeAnalysis.rule)
    if release_id is not None:
        query = query.where(ScopeAnalysis.release_id == release_id)
    return {int(rid): int(rule) for rid, rule in session.execute(query)}


class _Reader:
    """One run's reading: the trees' blobs (on disk, ingest/scopes/spill.py) and lexer facts are kept from one
    release to the next."""

    def __init__(self, repo: pygit2.Repository, git_dir: str, options: ScopeOptions, claims: store.Claims) -> None:
        self.repo, self.git_dir, self.options, self.claims = repo, git_dir, options, claims
        self.mapper = SubsystemMapper(repo)
        self.spill = BlobSpill()
        self.facts = FactsCache()

    def close(self) -> None:
        self.claims.close()
        self.spill.close()

    def read(self, engine: Engine, stats: ScopeStats, release_id: int, tag: str, tree_id: str) -> None:
        if not self.options.tags:  # claimed now: another worker may have read it since the run began
            with Session(engine) as session:
                if _read_by(session, release_id).get(release_id) == RULE_VERSION:
                    stats.elsewhere.append(tag)
                    return
        options = self.options
        if tree_id not in self.repo:
            raise IngestError(f"{options.source}: the tree of {tag} ({tree_id[:12]}) is not in this repository")
        files = tree_files(self.repo, self.git_dir, tree_id, options.globs, self.spill)
        log.info("scopes %s: %d C files", tag, len(files))
        reading = read_scopes(files, functools.partial(log.info, "scopes %s: %s", tag), self.facts)
        with Session(engine) as session, session.begin():
            _store(session, self.mapper, release_id, tree_id, reading, files, options.line_max_chars)
            store.record_change(session, f"scopes of {tag} read")
        stats.read.append(tag)
        stats.redundant[tag] = sum(1 for f in reading.findings if f.kind is Finding.REDUNDANT)


def _asked(session: Session, options: ScopeOptions) -> list[tuple[int, str, str]]:
    query = select(Release.id, Release.tag, Release.tree_id).order_by(Release.sort_key, Release.tag)
    rows = {tag: (rid, tag, tree) for rid, tag, tree in session.execute(query)}
    if not rows:
        raise IngestError("no release is ingested yet: run `nofs ingest REPOSITORY` first")
    if options.tags:
        unknown = [tag for tag in options.tags if tag not in rows]
        if unknown:
            raise IngestError(f"not an ingested release: {', '.join(unknown)}")
        return [rows[tag] for tag in options.tags]
    ordered = list(rows.values())  # oldest first
    if options.unread:
        return _unread(session, rows)
    return ordered if options.every else ordered[-1:]


def _unread(session: Session, rows: dict[str, tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The main axis's releases (mainline, or every release of a flat scheme) after the newest one read by the
    current rule, oldest first, the newest alone when none is read; then the moving refs not read (a ref that
    moved is a new point, stored again)."""
    stored = store.stored_releases(session).values()
    axis = [rows[r.tag] for r in main_axis(list(stored)) if r.line != Line.REF]
    refs = [rows[r.tag] for r in stored if r.line == Line.REF]
    read = {rid for rid, rule in _read_by(session).items() if rule == RULE_VERSION}
    last = max((i for i, (rid, _, _) in enumerate(axis) if rid in read), default=None)
    return (axis[-1:] if last is None else axis[last + 1 :]) + [ref for ref in refs if ref[0] not in read]


def tree_files(
    repo: pygit2.Repository, git_dir: str, tree_id: str, globs: tuple[str, ...], spill: BlobSpill
) -> SpilledTree:
    """The tree's C files, {path: bytes} read from `spill` as asked; blobs already in it (an earlier release's
    of the same run) are not read from git again."""
    tree = repo[tree_id].peel(pygit2.Tree)
    listed = {change.path: change.new for change in file_changes(None, tree, glob_matcher(globs)) if change.new}
    spill.keep_only(set(listed.values()))
    with BlobReader(git_dir) as reader:
        spill.add(reader.read_many(sorted({oid for oid in listed.values() if oid not in spill})))
    return SpilledTree(spill, listed)


def _store(
    session: Session,
    mapper: SubsystemMapper,
    release_id: int,
    tree_id: str,
    reading: ScopeReading,
    files: Mapping[str, bytes],
    line_max_chars: int,
) -> None:
    session.execute(delete(ScopeFinding).where(ScopeFinding.release_id == release_id))
    session.execute(delete(ScopeAnalysis).where(ScopeAnalysis.release_id == release_id))
    _file_id, subsystem_of = mapper.for_tree(session, tree_id)
    path_ids = store.ensure_paths(session, {f.path for f in reading.findings})
    lines = _Lines(files, line_max_chars)
    rows = [
        {
            "release_id": release_id,
            "kind": str(f.kind),
            "identifier": f.identifier,
            "path_id": path_ids[f.path],
            "subsystem_id": subsystem_of(f.path),
            "line": f.line,
            "function": f.function,
            "how": str(f.how),
            "text": lines.text(f.path, f.line),
            "evidence": [
                {
                    "function": s.function,
                    "path": s.path,
                    "line": s.line,
                    "text": lines.text(s.path, s.line),
                    "why": s.why,
                    "depth": s.depth,
                }
                for s in f.evidence
            ],
        }
        for f in reading.findings
    ]
    store.insert_rows(session, store.table_of(ScopeFinding), rows)
    session.add(
        ScopeAnalysis(
            release_id=release_id,
            rule=RULE_VERSION,
            files_read=reading.files_read,
            functions_read=reading.functions_read,
            uses=reading.uses,
        )
    )


class _Lines:
    """Source lines of the files read, split once per file."""

    def __init__(self, files: Mapping[str, bytes], limit: int) -> None:
        self.files, self.limit = files, limit
        self.split: dict[str, list[bytes]] = {}

    def text(self, path: str, line: int) -> str:
        if path not in self.split:
            self.split[path] = self.files[path].split(b"\n")
        lines = self.split[path]
        raw = lines[line - 1].rstrip(b"\r") if 0 < line <= len(lines) else b""
        return bounded_line(raw, 0, self.limit)
