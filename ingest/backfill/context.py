"""Fill in the context of code occurrences stored before the context existed (migration 0004).

A blob never changes and its occurrences' context is a pure function of its bytes, so those blobs are read
from git again, scanned as a new blob would be, and each stored row gets the context of the occurrence at its
line and column. A row already filled is never read again (the rows still NULL are what is pending).
"""

from typing import TYPE_CHECKING, Any, ClassVar, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.context_rules import Role
from app.models import UNCLASSIFIED, Blob, Occurrence
from ingest import store
from ingest.backfill.protocol import Backfill, Backfilled, Pending, Sources
from ingest.context import OccurrenceContext

if TYPE_CHECKING:
    import pygit2

    from ingest.scan import ScannedBlob

# A stored code occurrence the scan no longer finds at its place (the lexer's rules changed since it was
# stored): it gets this, rather than staying NULL and being read again by every run.
NOT_FOUND: Final = OccurrenceContext(Role.OTHER, reason="not found again at its line and column")

StoredBlob = tuple[int, str]  # (blob id, oid)


class ContextBackfill(Backfill[StoredBlob, dict[str, "ScannedBlob"]]):
    name = "occurrence context"
    unit = "blob(s)"
    batch: ClassVar[int] = 2048

    def waiting(self, session: Session) -> bool:
        """One look into the partial index of code occurrences without context, empty once all are filled in."""
        return session.execute(select(Occurrence.id).where(UNCLASSIFIED).limit(1)).first() is not None

    def pending(self, session: Session, repo: "pygit2.Repository") -> Pending[StoredBlob]:
        """The blobs with a code occurrence without context; the partial index answers this."""
        query = (
            select(Occurrence.blob_id, Blob.oid)
            .join(Blob, Blob.id == Occurrence.blob_id)
            .where(UNCLASSIFIED)
            .distinct()
            .order_by(Occurrence.blob_id)
        )
        held: list[StoredBlob] = []
        missing: list[str] = []
        for blob_id, oid in session.execute(query):
            if oid in repo:
                held.append((blob_id, oid))
            else:
                missing.append(oid)
        return Pending(held, missing)

    def read(self, sources: Sources, batch: list[StoredBlob]) -> dict[str, "ScannedBlob"]:
        """The batch's blobs scanned again, as a new blob is: occurrences and their contexts."""
        results = sources.scanner.submit([oid for _id, oid in batch]).results()
        return {blob.oid: blob for chunk in results for blob in chunk.interesting}

    def write(self, session: Session, batch: list[StoredBlob], found: dict[str, "ScannedBlob"]) -> int:
        rows = _context_rows(session, dict(batch), found)
        if rows:
            session.execute(update(Occurrence), rows)
        return len(batch)

    def summary(self, backfilled: Backfilled) -> str:
        missing = backfilled.missing
        left = f" ({len(missing):,} not in this repository, left for later)" if missing else ""
        return f"; occurrence context filled in for {backfilled.done:,} blob(s) stored before it existed{left}"


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
