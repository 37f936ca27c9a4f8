"""Write one release interval's attribution. Helpers here never commit: the caller commits an interval."""

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.change_rules import NO_CHANGE, ChangeSplit
from app.models import Attribution, Blob, CleanBlob, Commit, CommitChange, CommitFix, Occurrence, ReleaseCommit
from app.registry import Counts, Kind
from ingest import store
from ingest.change_kinds import BlobFacts
from ingest.deltas import Deltas
from ingest.history import CommitMeta, Fixes
from ingest.store import among, as_columns, blob_counts, ensure_paths, ids_by, insert_ids, insert_rows, table_of


def stored_counts(session: Session, oids: Iterable[str]) -> dict[str, dict[str, Counts]]:
    """Counts of the given blobs that are stored (binary ones count nothing); others are left out."""
    ids = ids_by(session, Blob.oid, Blob.id, oids)
    counts = blob_counts(session, ids.values())
    return {oid: counts.get(blob_id, {}) for oid, blob_id in ids.items()}


def stored_facts(session: Session, oids: Iterable[str]) -> dict[str, BlobFacts]:
    """The change split's facts of stored blobs, from their stored code occurrences (functions not read)."""
    ids = ids_by(session, Blob.oid, Blob.id, oids)
    oid_of = {blob_id: oid for oid, blob_id in ids.items()}
    counts: dict[str, dict[str, dict[str | None, int]]] = {oid: {} for oid in ids}
    o = Occurrence
    for condition in among(session, o.blob_id, ids.values()):
        query = (
            select(o.blob_id, o.identifier, o.function, func.count())
            .where(condition, o.kind == Kind.CODE.value)
            .group_by(o.blob_id, o.identifier, o.function)
        )
        for blob_id, identifier, function, n in session.execute(query):
            counts[oid_of[blob_id]].setdefault(identifier, {})[function] = n
    return {oid: BlobFacts(None, places) for oid, places in counts.items()}


def clean_blobs(session: Session, oids: Iterable[str]) -> set[str]:
    """Those of the given blobs known to hold no tracked identifier."""
    found: set[str] = set()
    for condition in among(session, CleanBlob.oid, oids):
        found.update(session.execute(select(CleanBlob.oid).where(condition)).scalars())
    return found


def store_clean(session: Session, oids: Iterable[str]) -> None:
    wanted = set(oids)
    new = wanted - clean_blobs(session, wanted)  # another worker may have stored some (writes take turns)
    if new:
        insert_rows(session, table_of(CleanBlob), [{"oid": oid} for oid in sorted(new)])


def _commit_ids(session: Session, metas: Mapping[str, CommitMeta]) -> dict[str, int]:
    ids = ids_by(session, Commit.oid, Commit.id, metas)
    missing = [vars(meta) for oid, meta in sorted(metas.items()) if oid not in ids]
    if missing:
        ids.update(insert_ids(session, Commit.oid, Commit.id, missing))
    return ids


def write_attribution(
    session: Session,
    release_id: int,
    header: dict[str, object],
    metas: Mapping[str, CommitMeta],
    steps: Mapping[str, int | None],
    changes: Mapping[tuple[str, str], Deltas],
    subsystem_of: Mapping[str, int],
    splits: Mapping[tuple[str, str], Mapping[tuple[str, str], ChangeSplit]],
    fixes: Fixes,
    fix_metas: Mapping[str, CommitMeta],
) -> None:
    """`changes`: (commit oid, view) -> deltas; every commit in it has a meta and a step (or None). `splits`:
    the same keys -> each row's change in uses by kind of change (a row without one changed no uses). `fixes`:
    the interval's Fixes: trailers, with a meta of each fixing commit in `fix_metas`."""
    store.delete_attribution(session, release_id)
    store.record_change(session, f"interval of release {release_id} attributed (from {header.get('from_tag')})")
    session.execute(insert(table_of(Attribution)), {"release_id": release_id, **header})
    commit_ids = _commit_ids(session, {**metas, **fix_metas})
    write_fixes(session, release_id, fixes, commit_ids)
    paths = {path for deltas in changes.values() for path, _ in deltas}
    path_ids = ensure_paths(session, paths)
    insert_rows(
        session,
        table_of(ReleaseCommit),
        [{"release_id": release_id, "commit_id": commit_ids[oid], "step": steps[oid]} for oid in sorted(metas)],
    )
    rows = [
        {
            "release_id": release_id,
            "commit_id": commit_ids[oid],
            "view": view,
            "path_id": path_ids[path],
            "identifier": identifier,
            "subsystem_id": subsystem_of[path],
            **as_columns(change),
            **splits.get((oid, view), {}).get((path, identifier), NO_CHANGE)._asdict(),
        }
        for (oid, view), deltas in changes.items()
        for (path, identifier), change in deltas.items()
    ]
    insert_rows(session, table_of(CommitChange), rows)


def write_fixes(session: Session, release_id: int, fixes: Fixes, commit_ids: Mapping[str, int]) -> None:
    """An attributed interval's Fixes: trailers (`commit_ids` holds every fixing commit's), marked as read."""
    session.execute(delete(CommitFix).where(CommitFix.release_id == release_id))
    rows = [
        {"release_id": release_id, "commit_id": commit_ids[oid], "named": named, "fixed_oid": full}
        for oid, trailers in sorted(fixes.items())
        for named, full in trailers.items()
    ]
    insert_rows(session, table_of(CommitFix), rows)
    session.execute(update(Attribution).where(Attribution.release_id == release_id).values(fixes_read=True))


def store_fixes(session: Session, release_id: int, fixes: Fixes, fix_metas: Mapping[str, CommitMeta]) -> None:
    """The Fixes: trailers of an interval attributed before they were read (migration 0006)."""
    write_fixes(session, release_id, fixes, _commit_ids(session, fix_metas))
