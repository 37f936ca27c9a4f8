"""Scan blobs for tracked identifiers on all cores: each worker reads the packs itself, runs a Matcher and
reads the context of every code occurrence while the blob's bytes are at hand."""

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Final

from app.registry import Kind
from ingest.blobs import BlobReader
from ingest.change_kinds import BlobFacts, blob_facts
from ingest.context import OccurrenceContext, contexts
from ingest.count import BlobScan, Matcher

# Blobs per task: large enough to amortise the round trip, small enough to balance the cores.
SCAN_CHUNK: Final = 1024
# The change split reads whole blobs for their functions: fewer a task keeps both cores busy on one interval.
FACTS_CHUNK: Final = 64


@dataclass(frozen=True, slots=True)
class ScannedBlob:
    oid: str
    size: int
    scan: BlobScan
    contexts: tuple[OccurrenceContext | None, ...] = ()  # one per occurrence: its context when it is code


def classify(data: bytes, scan: BlobScan) -> tuple[OccurrenceContext | None, ...]:
    """The context of each code occurrence of a scanned blob, None for the other kinds, in scan order."""
    found = iter(contexts(data, [o.offset for o in scan.occurrences if o.kind == Kind.CODE]))
    return tuple(next(found) if o.kind == Kind.CODE else None for o in scan.occurrences)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    blobs: int
    bytes: int
    interesting: list[ScannedBlob]  # blobs with occurrences, or binary ones


_reader: BlobReader | None = None
_matcher: Matcher | None = None


def _init_worker(
    repo_path: str, names: tuple[str, ...], line_max_chars: int, lifeline: Connection | None = None
) -> None:
    global _reader, _matcher
    if lifeline is not None:
        threading.Thread(target=_exit_without, args=(lifeline,), daemon=True).start()
    _reader = BlobReader(repo_path)
    _matcher = Matcher(names, line_max_chars)


def _exit_without(lifeline: Connection) -> None:
    """Leave once the ingest is gone (killed, even if not yet reaped): its end of the lifeline closes.

    Without this a killed ingest's workers wait forever, holding each other's queue pipes open, and keep
    the forkserver (and any pipe the ingest's caller reads) open with them.
    """
    with contextlib.suppress(EOFError):
        lifeline.recv_bytes()  # nothing is ever sent
    os._exit(1)


def _scan_chunk(oids: list[str]) -> ChunkResult:
    assert _reader is not None and _matcher is not None
    interesting = []
    total = 0
    for oid, data in _reader.read_many(oids):
        total += len(data)
        scan = _matcher.scan(data)
        if scan.occurrences or scan.binary:
            interesting.append(ScannedBlob(oid, len(data), scan, classify(data, scan)))
    return ChunkResult(len(oids), total, interesting)


def _facts_chunk(oids: list[str]) -> list[tuple[str, BlobFacts]]:
    assert _reader is not None and _matcher is not None
    return [(oid, blob_facts(data, _matcher)) for oid, data in _reader.read_many(oids)]


class BlobScanner:
    """Scans blobs of one repository; in-process with one job, a process pool with more."""

    def __init__(self, repo_path: str, names: tuple[str, ...], line_max_chars: int, jobs: int) -> None:
        self._args = (repo_path, names, line_max_chars)
        self._jobs = jobs
        self._pool: Executor | None = None
        self._lifeline: Connection | None = None

    def __enter__(self) -> "BlobScanner":
        if self._jobs > 1:
            # forkserver: workers never inherit a database connection; the preload makes each start cheap
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            lifeline, self._lifeline = context.Pipe(duplex=False)  # the workers get the end that reads
            self._pool = ProcessPoolExecutor(
                self._jobs,
                mp_context=context,
                initializer=_init_worker,
                initargs=(*self._args, lifeline),
            )
            # Start the workers and open their readers now, while the first tree diff is computed, not after it.
            for _ in range(self._jobs):
                self._pool.submit(_scan_chunk, [])
        else:
            _init_worker(*self._args)
        return self

    def __exit__(self, *_exc: object) -> None:
        global _reader
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            if self._lifeline is not None:
                self._lifeline.close()
        elif _reader is not None:
            _reader.close()
            _reader = None

    def facts(self, oids: list[str]) -> dict[str, BlobFacts]:
        """What the change split reads of each blob (ingest/change_kinds.py), on all workers."""
        chunks = [oids[i : i + FACTS_CHUNK] for i in range(0, len(oids), FACTS_CHUNK)]
        if self._pool is None:
            return {oid: facts for chunk in chunks for oid, facts in _facts_chunk(chunk)}
        futures = [self._pool.submit(_facts_chunk, chunk) for chunk in chunks]
        return {oid: facts for future in futures for oid, facts in future.result()}

    def submit(self, oids: list[str]) -> "PendingScan":
        """Start scanning now (in the pool) or on demand (in-process); results come from the return value."""
        chunks = [oids[i : i + SCAN_CHUNK] for i in range(0, len(oids), SCAN_CHUNK)]
        if self._pool is None:
            return PendingScan(lazy=chunks)
        return PendingScan(futures=[self._pool.submit(_scan_chunk, chunk) for chunk in chunks])


@dataclass
class PendingScan:
    futures: list[Future[ChunkResult]] = field(default_factory=list)
    lazy: list[list[str]] = field(default_factory=list)

    def results(self) -> Iterator[ChunkResult]:
        """Chunk results in the order they finish."""
        yield from map(_scan_chunk, self.lazy)
        for future in as_completed(self.futures):
            yield future.result()
