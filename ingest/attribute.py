"""Attribute each release interval's change to the commits and merges that made it.

One transaction per interval (previous release -> release). Blob counts come from what the release
ingest stored, then from blobs known to hold nothing, and only the rest is read and scanned; every
blob scanned here is stored too (with its occurrences, or as clean), so none is ever read twice.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

import pygit2
from sqlalchemy.orm import Session, sessionmaker

from app.change_rules import ChangeSplit
from ingest import commit_store, store
from ingest.change_kinds import (
    EMPTY_FACTS,
    BlobFacts,
    facts_from,
    interval_splits,
    needs_functions,
    rename_candidates,
    step_diffs,
)
from ingest.deltas import BlobCounts, Deltas, change_deltas, resolution_deltas
from ingest.history import Interval, describe, walk_interval
from ingest.intervals import IntervalProgress, IntervalTodo, attributed
from ingest.merge_base import MergeBases
from ingest.renames import RenameQuestion, renames_of
from ingest.repo import ensure_commit_graph, shallow_commits
from ingest.subsystems import SubsystemMapper
from ingest.tree import TreePaths

if TYPE_CHECKING:
    from ingest.scan import BlobScanner, ScannedBlob

OWN, STEP = "own", "step"


@dataclass
class IntervalResult:
    """What attributing one interval, or (added up) several, did."""

    intervals: int = 0
    walked: int = 0
    with_changes: int = 0
    blobs_scanned: int = 0
    bytes_scanned: int = 0
    shallow_boundaries: int = 0  # intervals whose first-parent line starts at a shallow clone's boundary
    fixes: int = 0  # Fixes: trailers stored
    skipped: list[str] = field(default_factory=list)  # releases whose previous release's commit is missing

    def add(self, other: "IntervalResult") -> None:
        for counter in fields(self):
            setattr(self, counter.name, getattr(self, counter.name) + getattr(other, counter.name))


class CountBook:
    """oid -> counts of every blob looked up in this run ({} for a blob that holds nothing)."""

    def __init__(self) -> None:
        self.counts: dict[str, BlobCounts] = {}

    def fill(
        self,
        session: Session,
        scanner: "BlobScanner",
        wanted: dict[str, str],
        trees: list[TreePaths],
        scanned: Callable[[int], None],
    ) -> tuple[list["ScannedBlob"], list[str], int]:
        """Look up or scan `wanted` (oid -> a path it had); returns what to store (interesting, clean) and
        the bytes read."""
        unknown = {oid: path for oid, path in wanted.items() if oid not in self.counts}
        self.counts.update(commit_store.stored_counts(session, unknown))
        unknown = {oid: path for oid, path in unknown.items() if oid not in self.counts}
        for oid in commit_store.clean_blobs(session, unknown):
            self.counts[oid] = {}
        # A blob of an ingested release's tree was scanned then; not being stored, it holds nothing.
        to_scan = []
        for oid, path in unknown.items():
            if oid in self.counts:
                continue
            if any(tree.blob_at(path) == oid for tree in trees):
                self.counts[oid] = {}
            else:
                to_scan.append(oid)
        interesting = []
        read = 0
        for chunk in scanner.submit(to_scan).results():
            scanned(chunk.blobs)
            read += chunk.bytes
            interesting.extend(chunk.interesting)
        for blob in interesting:
            self.counts[blob.oid] = store.count_occurrences(blob)
        found = {blob.oid for blob in interesting}
        clean = [oid for oid in to_scan if oid not in found]
        for oid in clean:
            self.counts[oid] = {}
        return interesting, clean, read


def interval_deltas(interval: Interval, counts: dict[str, BlobCounts]) -> dict[tuple[str, str], Deltas]:
    """(commit, view) -> its deltas; the base adjustment is a step of the base commit."""
    result: dict[tuple[str, str], Deltas] = {}
    if interval.base_changes:
        result[(_base_key(interval), STEP)] = change_deltas(interval.base_changes, counts)
    for commit in interval.commits:
        own = resolution_deltas(commit.resolutions, counts) if commit.parents > 1 else change_deltas(commit.own, counts)
        result[(commit.oid, OWN)] = own
        if commit.step is not None:
            result[(commit.oid, STEP)] = own if commit.parents <= 1 else change_deltas(commit.step_changes, counts)
    return {key: deltas for key, deltas in result.items() if deltas}


Splits = dict[tuple[str, str], dict[tuple[str, str], ChangeSplit]]


class _Facts(dict[str, BlobFacts]):
    """Facts of the blobs read; a blob not read is one whose file's counts did not change: nothing to split."""

    def __missing__(self, oid: str) -> BlobFacts:
        return EMPTY_FACTS


def change_splits(
    repo_dir: str,
    scanner: "BlobScanner",
    interval: Interval,
    changes: dict[tuple[str, str], Deltas],
    occurrences: Callable[[list[str]], dict[str, BlobFacts]],
) -> Splits:
    """Each changed row's change in uses split by kind of change: asks git for renames where a step deleted or
    added a file whose counts changed, then reads both sides of those files and of their renames (on the scan
    workers): their occurrences per function as the ingest already knows them (`occurrences`), then the
    functions of the blobs the split will ask about, which takes a lexer pass over each of those."""
    base_key = _base_key(interval) if interval.base_changes else None
    paths = {key: {path for path, _ in deltas} for key, deltas in changes.items()}
    wanted: set[str] = set()
    pairs: list[tuple[str | None, str | None]] = []  # (before, after) blobs the split compares
    diffs = []  # each changed key's diff, with only the changes read: a split compares nothing else
    changed = [d for d in step_diffs(interval, base_key) if d.key in paths]
    candidates = {d: rename_candidates(d.changes, paths[d.key]) for d in changed}
    questions = {d.key: RenameQuestion(d.old, d.new, c) for d, c in candidates.items() if c}
    renamed: dict[tuple[str, str], dict[str, str]] = {}
    for key, found in zip(questions, renames_of(repo_dir, list(questions.values())), strict=True):
        renamed[key] = {new: old for new, old in found.items() if new in paths[key] or old in paths[key]}
    for diff in changed:
        relevant = paths[diff.key]
        ends = {path for pair in renamed.get(diff.key, {}).items() for path in pair}
        read = [c for c in diff.changes if c.path in relevant or c.path in ends]
        wanted.update(oid for c in read for oid in (c.old, c.new) if oid)
        pairs += [(c.old, c.new) for c in read]
        blob_at = {c.path: c for c in read}
        pairs += [(blob_at[old].old, blob_at[new].new) for new, old in renamed.get(diff.key, {}).items()]
        diffs.append(replace(diff, changes=tuple(read)))
    for commit in interval.commits:
        for r in commit.resolutions if (commit.oid, OWN) in paths else ():
            if r.path in paths[(commit.oid, OWN)]:
                terms = [o for o in (r.result, r.first, *(b for side in r.sides for b in side)) if o]
                wanted.update(terms)
                pairs += [(term, end) for term in terms for end in (r.result, r.first)]
    facts = _Facts(occurrences(sorted(wanted)))
    facts.update(scanner.facts(sorted(needs_functions(pairs, facts))))
    splits = interval_splits(interval, diffs, paths, facts, renamed)
    return {key: {row: s for row, s in split.items() if row in changes.get(key, {})} for key, split in splits.items()}


def _base_key(interval: Interval) -> str:
    assert interval.base is not None or interval.older is not None
    return interval.base if interval.base is not None else str(interval.older)


def attribute_interval(
    sessions: sessionmaker[Session],
    repo: pygit2.Repository,
    scanner: "BlobScanner",
    book: CountBook,
    mapper: SubsystemMapper,
    merge_bases: MergeBases,
    todo: IntervalTodo,
    tracked: re.Pattern[str],
    scanned: Callable[[int], None],
    shallow: frozenset[str] = frozenset(),
) -> tuple[IntervalResult, str | None]:
    """Walk, count and store one interval in one transaction; also the shallow boundary it starts at."""
    release, previous = todo.release, todo.previous
    header: dict[str, object] = {
        "from_tag": previous.tag if previous else None,
        "from_commit": previous.commit_id if previous else None,
        "base_commit": None,
        "commits_walked": 0,
        "shallow_boundary": False,
        "change_kinds": True,
    }
    if previous is None:  # the first release: no interval, and its whole history is not ours to walk
        with sessions() as session, session.begin():
            store.lock_writes(session)
            commit_store.write_attribution(session, release.id, header, {}, {}, {}, {}, {}, {}, {})
        return IntervalResult(intervals=1), None
    interval, walked = walk_interval(repo, previous.commit_id, release.commit_id, tracked, merge_bases, shallow)
    header.update(base_commit=interval.base, commits_walked=walked, shallow_boundary=interval.shallow_boundary)
    boundary = interval.base if interval.shallow_boundary else None
    wanted = dict((oid, path) for path, oid in interval.blobs())
    trees = [TreePaths(repo[r.tree_id].peel(pygit2.Tree)) for r in (previous, release)]
    with sessions() as session:
        interesting, clean, read = book.fill(session, scanner, wanted, trees, scanned)
    changes = interval_deltas(interval, book.counts)
    fresh = {blob.oid: blob for blob in interesting}

    def occurrences(oids: list[str]) -> dict[str, BlobFacts]:
        """From what the count book and the scan hold, else from the stored occurrences: no blob read."""
        known = {oid: facts_from(fresh[oid].scan.occurrences) for oid in oids if oid in fresh}
        known |= {oid: facts_from(()) for oid in oids if not book.counts[oid]}
        with sessions() as session:
            known |= commit_store.stored_facts(session, [oid for oid in oids if oid not in known])
        return known

    splits = change_splits(repo.path.rstrip("/"), scanner, interval, changes, occurrences)
    steps: dict[str, int | None] = {c.oid: c.step for c in interval.commits}
    if interval.base_changes:
        steps[_base_key(interval)] = 0
    metas = {oid: describe(repo, oid) for oid, _ in changes}
    fix_metas = {oid: metas.get(oid) or describe(repo, oid) for oid in interval.fixes}
    trailers = sum(len(named) for named in interval.fixes.values())
    with sessions() as session, session.begin():
        store.lock_writes(session)
        if attributed(session).get(release.id) == (header["from_tag"], header["from_commit"]):
            # another worker did it meanwhile
            return IntervalResult(1, walked, 0, len(interesting) + len(clean), read, int(bool(boundary))), boundary
        store.store_blobs(session, interesting)
        commit_store.store_clean(session, clean)
        _, subsystem_in_tree = mapper.for_tree(session, release.tree_id)
        paths = {path for deltas in changes.values() for path, _ in deltas}
        subsystem_of = {path: subsystem_in_tree(path) for path in paths}
        commit_store.write_attribution(
            session,
            release.id,
            header,
            metas,
            {oid: steps[oid] for oid in metas},
            changes,
            subsystem_of,
            splits,
            interval.fixes,
            fix_metas,
        )
    scanned_blobs = len(interesting) + len(clean)
    return IntervalResult(1, walked, len(metas), scanned_blobs, read, int(bool(boundary)), trailers), boundary


def attribute(
    sessions: sessionmaker[Session],
    repo: pygit2.Repository,
    scanner: "BlobScanner",
    todos: list[IntervalTodo],
    tracked: re.Pattern[str],
    claims: store.Claims,
    progress: IntervalProgress,
    jobs: int,
) -> IntervalResult:
    """Attribute every pending interval, oldest first; what was done, added up. `jobs`: git merge-base
    processes at once."""
    book, mapper = CountBook(), SubsystemMapper(repo)
    repo_dir = repo.path.rstrip("/")
    merge_bases = MergeBases(repo_dir, jobs)
    shallow = shallow_commits(repo)
    if any(todo.previous is not None for todo in todos):
        ensure_commit_graph(repo_dir)
    totals = IntervalResult()
    for todo in todos:
        tag = todo.release.tag
        if todo.previous is not None and todo.previous.commit_id not in repo:
            # stored from another clone, beyond this one's shallow boundary: no history to walk from it
            progress.interval_done(
                tag, f"not attributed: {todo.previous.tag}'s commit is not in this repository (a shallow clone?)"
            )
            totals.skipped.append(tag)
            continue
        if not claims.take(f"commits:{tag}"):
            continue
        try:
            started = time.monotonic()
            progress.interval_started(tag, todo.previous.tag if todo.previous else None)
            result, boundary = attribute_interval(
                sessions, repo, scanner, book, mapper, merge_bases, todo, tracked, progress.blobs_scanned, shallow
            )
        finally:
            claims.give_back(f"commits:{tag}")
        seconds = time.monotonic() - started
        totals.add(result)
        if todo.previous is None:
            progress.interval_done(tag, "the first ingested release: no interval to attribute")
            continue
        rate = f", {result.walked / seconds:,.0f} commits/s" if result.walked and seconds else ""
        progress.interval_done(
            tag,
            f"commits since {todo.previous.tag}: {result.walked:,} walked, {result.with_changes:,} moved a count, "
            f"{result.fixes:,} Fixes: trailer(s), "
            f"{result.blobs_scanned:,} blobs scanned, {seconds:.1f} s{rate}"
            f"{f'; attribution starts at the shallow boundary {boundary}' if boundary else ''}",
        )
    return totals
