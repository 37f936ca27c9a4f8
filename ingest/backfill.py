"""Fill in the context of code occurrences stored before the context existed (migration 0004).

A blob never changes and its occurrences' context is a pure function of its bytes, so those blobs are read
from git again, scanned as a new blob would be, and each stored row gets the context of the occurrence at its
line and column. One transaction a batch: a killed run keeps what it finished, and the next one goes on
with the rest (the rows still NULL); a row already filled is never read again.
"""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.context_rules import Role
from app.models import UNCLASSIFIED, Blob, Occurrence
from ingest import store
from ingest.context import OccurrenceContext

if TYPE_CHECKING:
    import pygit2

    from ingest.scan import BlobScanner, ScannedBlob

log = logging.getLogger(__name__)

BACKFILL_BATCH: Final = 2048  # blobs a transaction
# A stored code occurrence the scan no longer finds at its place (the lexer's rules changed since it was
# stored): it gets this, rather than staying NULL and being read again by every run.
NOT_FOUND: Final = OccurrenceContext(Role.OTHER, reason="not found again at its line and column")


@dataclass(frozen=True)
class Pending:
    blobs: list[tuple[int, str]]  # (blob id, oid) of the blobs to read again
    missing: int  # blobs this repository does not hold: left for a run on one that does


NONE: Final = Pending([], 0)


def waiting(session: Session) -> bool:
    """Whether any code occurrence lacks its context: one look into the partial index, empty once done, so
    that a run with nothing to do opens no repository."""
    return session.execute(select(Occurrence.id).where(UNCLASSIFIED).limit(1)).first() is not None


def pending(session: Session, repo: "pygit2.Repository") -> Pending:
    """The blobs with a code occurrence without context that `repo` holds; the partial index answers this."""
    query = (
        select(Occurrence.blob_id, Blob.oid)
        .join(Blob, Blob.id == Occurrence.blob_id)
        .where(UNCLASSIFIED)
        .distinct()
        .order_by(Occurrence.blob_id)
    )
    found = [(blob_id, oid) for blob_id, oid in session.execute(query)]
    present = [(blob_id, oid) for blob_id, oid in found if oid in repo]
    return Pending(present, len(found) - len(present))


def backfill(sessions: sessionmaker[Session], scanner: "BlobScanner", present: list[tuple[int, str]]) -> int:
    """Classify the code occurrences of the blobs `pending` found, a batch a transaction; how many blobs."""
    for start in range(0, len(present), BACKFILL_BATCH):
        batch = dict(present[start : start + BACKFILL_BATCH])
        scanned = {
            blob.oid: blob for chunk in scanner.submit(list(batch.values())).results() for blob in chunk.interesting
        }
        with sessions() as session, session.begin():
            store.lock_writes(session)
            rows = _context_rows(session, batch, scanned)
            if rows:
                session.execute(update(Occurrence), rows)
        log.info("context filled in for %d of %d blob(s) stored before it existed", start + len(batch), len(present))
    return len(present)


def _context_rows(session: Session, batch: dict[int, str], scanned: dict[str, "ScannedBlob"]) -> list[dict[str, Any]]:
    """The update of every unclassified code row of the batch's blobs: its id and context columns."""
    found: dict[tuple[int, int, int, str], OccurrenceContext | None] = {}
    for blob_id, oid in batch.items():
        blob = scanned.get(oid)
        if blob is not None:
            for occurrence, context in zip(blob.scan.occurrences, blob.contexts, strict=True):
                found[(blob_id, occurrence.line, occurrence.col, occurrence.identifier)] = context
    o = Occurrence
    rows = []
    for condition in store.among(session, o.blob_id, batch):
        query = select(o.id, o.blob_id, o.line, o.col, o.identifier).where(UNCLASSIFIED, condition)
        for row_id, blob_id, line, col, identifier in session.execute(query):
            context = found.get((blob_id, line, col, identifier)) or NOT_FOUND
            rows.append({"id": row_id, **store.context_columns(context)})
    return rows
