"""`nofs scopes`: read ingested releases' trees for allocation scopes and store the findings.

One transaction a release: its old findings are replaced with the new ones and its `scope_analyses` row
written together, so a killed run leaves every release either as it was or fully read, and a re-run reads
what is left. A release read by the current rule (app/scope_rules.py RULE_VERSION) is not read again.
"""

import functools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path as FsPath

import pygit2
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.models import Release, ScopeAnalysis, ScopeFinding
from app.scope_rules import RULE_VERSION, Finding
from ingest import store
from ingest.blobs import BlobReader
from ingest.count import bounded_line
from ingest.errors import IngestError
from ingest.refs import locate
from ingest.repo import open_repository
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


@dataclass(slots=True)
class ScopeStats:
    read: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already read by the current rule
    redundant: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        if not self.read:
            return f"scopes: nothing to read ({len(self.kept)} release(s) already read by rule {RULE_VERSION})"
        counts = ", ".join(f"{tag}: {n} redundant in scope" for tag, n in self.redundant.items())
        return f"scopes: read {len(self.read)} release(s) in {self.seconds:.0f} s ({counts})"


def read_releases(engine: Engine, options: ScopeOptions) -> ScopeStats:
    """Read and store the asked releases' scopes; the stats of the run."""
    began = time.monotonic()
    stats = ScopeStats()
    git_dir = locate(options.source, options.cache_dir)
    repo = open_repository(git_dir)
    with Session(engine) as session:
        releases = _asked(session, options)
        done = {row.release_id: row.rule for row in session.scalars(select(ScopeAnalysis))}
    mapper = SubsystemMapper(repo)
    held: dict[str, bytes] = {}
    facts = FactsCache()
    for release_id, tag, tree_id in releases:
        if done.get(release_id) == RULE_VERSION and (options.every or not options.tags):
            stats.kept.append(tag)
            continue
        if tree_id not in repo:
            raise IngestError(f"{options.source}: the tree of {tag} ({tree_id[:12]}) is not in this repository")
        files, held = _c_files(repo, git_dir, tree_id, options.globs, held)
        log.info("scopes %s: %d C files", tag, len(files))
        reading = read_scopes(files, functools.partial(log.info, "scopes %s: %s", tag), facts)
        with Session(engine) as session, session.begin():
            _store(session, mapper, release_id, tree_id, reading, files, options.line_max_chars)
            store.record_change(session, f"scopes of {tag} read")
        stats.read.append(tag)
        stats.redundant[tag] = sum(1 for f in reading.findings if f.kind is Finding.REDUNDANT)
    stats.seconds = time.monotonic() - began
    return stats


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
    return ordered if options.every else ordered[-1:]


def _c_files(
    repo: pygit2.Repository, git_dir: str, tree_id: str, globs: tuple[str, ...], held: dict[str, bytes] | None = None
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The tree's C files {path: bytes}, and its blobs {oid: bytes}; blobs in `held` (the previous release's)
    are not read again, and being the same objects, their lexer facts are reused (ingest/scopes/tree.py)."""
    tree = repo[tree_id].peel(pygit2.Tree)
    listed = {change.path: change.new for change in file_changes(None, tree, glob_matcher(globs)) if change.new}
    held = held or {}
    blobs = {oid: held[oid] for oid in set(listed.values()) if oid in held}
    with BlobReader(git_dir) as reader:
        blobs.update(reader.read_many(sorted(set(listed.values()) - blobs.keys())))
    return {path: blobs[oid] for path, oid in listed.items()}, blobs


def _store(
    session: Session,
    mapper: SubsystemMapper,
    release_id: int,
    tree_id: str,
    reading: ScopeReading,
    files: dict[str, bytes],
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

    def __init__(self, files: dict[str, bytes], limit: int) -> None:
        self.files, self.limit = files, limit
        self.split: dict[str, list[bytes]] = {}

    def text(self, path: str, line: int) -> str:
        if path not in self.split:
            self.split[path] = self.files[path].split(b"\n")
        lines = self.split[path]
        raw = lines[line - 1].rstrip(b"\r") if 0 < line <= len(lines) else b""
        return bounded_line(raw, 0, self.limit)
