"""Write what one release needs into the session. Helpers here never commit: the caller commits a release."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Connection,
    Engine,
    Table,
    any_,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, QueryableAttribute, Session

from app.db import Base
from app.lines import Scheme
from app.models import (
    Attribution,
    Blob,
    BlobCount,
    CommitChange,
    CommitFix,
    DataChange,
    MaintainersFile,
    Occurrence,
    Path,
    PathCount,
    Release,
    ReleaseCommit,
    ReleaseFile,
    Repository,
    Section,
    Subsystem,
    SubsystemCount,
)
from app.registry import Counts, Kind
from app.web_views import WebViews
from ingest.context import OccurrenceContext
from ingest.maintainers import Section as ParsedSection
from ingest.paths import from_stored, to_stored
from ingest.versions import ReleaseVersion

if TYPE_CHECKING:  # the scanner (dulwich, hyperscan) is imported only by an ingest with work to do
    from ingest.scan import ScannedBlob

# Inserts go through Core tables: the ORM bulk path costs several times more per row here.
LOOKUP_BATCH: Final = 500  # keys per IN (...) query; well under SQLite's parameter limit
ARRAY_BATCH: Final = 50_000  # keys per = ANY(array) query on PostgreSQL
KINDS: Final = (Kind.CODE, Kind.COMMENT, Kind.STRING, Kind.DEFINITION)
CALLEE_CHARS: Final = 255  # Occurrence.callee
FLAGS_CHARS: Final = 512  # Occurrence.flags


def among(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], keys: Iterable[Any]
) -> Iterator[ColumnElement[bool]]:
    """Conditions `column IN keys`, one query each.

    PostgreSQL: `= ANY(array)`, one parameter, so psycopg parses one short query text instead of a fresh
    500-placeholder one a batch (that parsing was a third of an attribution's time). Elsewhere: IN (...)
    in batches under SQLite's parameter limit.
    """
    ordered = sorted(set(keys))
    if session.get_bind().dialect.name == "postgresql":
        for start in range(0, len(ordered), ARRAY_BATCH):
            yield column == any_(bindparam(None, ordered[start : start + ARRAY_BATCH], type_=ARRAY(column.type)))
    else:
        for start in range(0, len(ordered), LOOKUP_BATCH):
            yield column.in_(ordered[start : start + LOOKUP_BATCH])


def table_of(model: type[Base]) -> Table:
    """The table a model maps (the models declare it as any FromClause; every one here is a Table)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} does not map a table")
    return table


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows, all with the same keys.

    On PostgreSQL through COPY: psycopg's executemany sends the rows one statement each, five times slower.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    from psycopg.types.json import Json  # here: an SQLite-only run never imports psycopg

    columns = list(rows[0])
    quote = connection.dialect.identifier_preparer
    names = ", ".join(quote.quote(c) for c in columns)
    # COPY bypasses SQLAlchemy's types: JSON values go through psycopg's own JSON dumper.
    as_json = [isinstance(table.c[c].type, JSON) for c in columns]
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {quote.format_table(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Json(row[c]) if j else row[c] for c, j in zip(columns, as_json, strict=True)])


def ids_by(
    session: Session, key: InstrumentedAttribute[str], id_: InstrumentedAttribute[int], keys: Iterable[str]
) -> dict[str, int]:
    found: dict[str, int] = {}
    for condition in among(session, key, keys):
        found.update(session.execute(select(key, id_).where(condition)).all())
    return found


def insert_ids(
    session: Session, key: InstrumentedAttribute[str], id_: InstrumentedAttribute[int], rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert rows, each with a unique `key`; key -> its new id. PostgreSQL: COPY, then one lookup."""
    table: Table = key.property.columns[0].table  # the table the key column is in
    if session.get_bind().dialect.name == "postgresql":
        insert_rows(session, table, rows)
        return ids_by(session, key, id_, (row[key.key] for row in rows))
    return {k: i for i, k in session.execute(insert(table).returning(id_, key), rows)}


def known_blobs(session: Session) -> dict[str, tuple[int, bool]]:
    """oid -> (blob id, binary) for every blob stored: one query, cheaper than asking per release."""
    return {
        oid: (blob_id, binary) for oid, blob_id, binary in session.execute(select(Blob.oid, Blob.id, Blob.is_binary))
    }


def store_blobs(session: Session, scanned: list["ScannedBlob"]) -> dict[str, int]:
    """Insert newly scanned blobs with their counts and occurrences; oid -> blob id."""
    if not scanned:
        return {}
    # Another worker may have stored some of them since this run read the blob table.
    already = ids_by(session, Blob.oid, Blob.id, (b.oid for b in scanned))
    scanned = [b for b in scanned if b.oid not in already]
    if not scanned:
        return already
    rows = [{"oid": b.oid, "size": b.size, "is_binary": b.scan.binary, "utf8": b.scan.utf8} for b in scanned]
    ids = insert_ids(session, Blob.oid, Blob.id, rows)
    count_rows: list[dict[str, Any]] = []
    occurrence_rows: list[dict[str, Any]] = []
    for blob in scanned:
        blob_id = ids[blob.oid]
        for identifier, counts in count_occurrences(blob).items():
            count_rows.append({"blob_id": blob_id, "identifier": identifier, **as_columns(counts)})
        occurrence_rows.extend(
            {
                "blob_id": blob_id,
                "line": o.line,
                "col": o.col,
                "identifier": o.identifier,
                "kind": o.kind.value,
                "function": o.function,
                "text": o.text,
                **context_columns(context),
            }
            for o, context in zip(blob.scan.occurrences, blob.contexts, strict=True)
        )
    insert_rows(session, table_of(BlobCount), count_rows)
    insert_rows(session, table_of(Occurrence), occurrence_rows)
    return {**already, **ids}


def context_columns(context: OccurrenceContext | None) -> dict[str, Any]:
    """An occurrence's context as stored: all NULL for one that is not code; flags '' when there are none."""
    if context is None:
        return {"role": None, "callee": None, "argument": None, "flags": None, "negated": None}
    flags = list(context.flags)
    while len(" ".join(flags)) > FLAGS_CHARS:  # never in the kernel; a column limit is still a limit
        flags.pop()
    callee = context.callee[:CALLEE_CHARS] if context.callee is not None else None
    return {
        "role": context.role.value,
        "callee": callee,
        "argument": context.argument_index,
        "flags": " ".join(flags),
        "negated": context.negated,
    }


def count_occurrences(blob: "ScannedBlob") -> dict[str, Counts]:
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for occurrence in blob.scan.occurrences:
        tallies[occurrence.identifier][KINDS.index(occurrence.kind)] += 1
    return {identifier: Counts(*c) for identifier, c in tallies.items()}


def as_columns(counts: Sequence[int]) -> dict[str, int]:
    return dict(zip(("code", "comment", "string", "definition"), counts, strict=True))


def blob_counts(session: Session, blob_ids: Iterable[int]) -> dict[int, dict[str, Counts]]:
    """Counts per identifier of stored blobs; a blob without counts (binary) is left out."""
    result: dict[int, dict[str, Counts]] = defaultdict(dict)
    c = BlobCount
    columns = (c.blob_id, c.identifier, c.code, c.comment, c.string, c.definition)
    for condition in among(session, c.blob_id, blob_ids):
        rows = session.execute(select(*columns).where(condition))
        for blob_id, identifier, code, comment, string, definition in rows:
            result[blob_id][identifier] = Counts(code, comment, string, definition)
    return result


def release_files(session: Session, release_id: int) -> dict[str, str]:
    """path -> blob oid of the files of a stored release."""
    rows = session.execute(
        select(Path.path, Blob.oid)
        .join(ReleaseFile, ReleaseFile.path_id == Path.id)
        .join(Blob, Blob.id == ReleaseFile.blob_id)
        .where(ReleaseFile.release_id == release_id)
    )
    return {from_stored(path): oid for path, oid in rows}


def parent_of(path: str) -> str | None:
    """'fs/btrfs/inode.c' -> 'fs/btrfs', 'fs' -> '', '' -> None."""
    if not path:
        return None
    return path.rsplit("/", 1)[0] if "/" in path else ""


def ancestors(path: str) -> Iterator[str]:
    parent = parent_of(path)
    while parent is not None:
        yield parent
        parent = parent_of(parent)


def ensure_paths(session: Session, files: Iterable[str]) -> dict[str, int]:
    """Ids of the given file paths and of every directory above them, inserting those not yet stored.

    Keys are the ingest's paths; the database holds their stored form (ingest/paths.py)."""
    wanted: dict[str, bool] = {}
    for file in files:
        wanted[to_stored(file)] = False
        for directory in ancestors(file):
            wanted[to_stored(directory)] = True
    ids = ids_by(session, Path.path, Path.id, wanted)
    missing_by_depth: dict[int, list[str]] = defaultdict(list)
    for path in wanted:
        if path not in ids:
            missing_by_depth[_depth(path)].append(path)
    for depth in sorted(missing_by_depth):  # parents first, so their ids are known
        rows = [
            {"path": p, "parent_id": None if (up := _stored_parent(p)) is None else ids[up], "is_dir": wanted[p]}
            for p in sorted(missing_by_depth[depth])
        ]
        ids.update(insert_ids(session, Path.path, Path.id, rows))
    return {from_stored(path): path_id for path, path_id in ids.items()}


def _depth(stored: str) -> int:
    path = from_stored(stored)
    return path.count("/") + (path != "")


def _stored_parent(stored: str) -> str | None:
    parent = parent_of(from_stored(stored))
    return to_stored(parent) if parent is not None else None


def maintainers_file(session: Session, oid: str) -> MaintainersFile | None:
    return session.execute(select(MaintainersFile).where(MaintainersFile.oid == oid)).scalar_one_or_none()


def stored_sections(session: Session, file_id: int) -> list[tuple[int, int]]:
    """(position, subsystem id) of a stored MAINTAINERS file's sections."""
    rows = session.execute(select(Section.position, Section.subsystem_id).where(Section.maintainers_file_id == file_id))
    return [(position, subsystem_id) for position, subsystem_id in rows]


def subsystem_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(names))
    ids = ids_by(session, Subsystem.name, Subsystem.id, wanted)
    missing = [{"name": name} for name in wanted if name not in ids]
    if missing:
        ids.update(
            (name, subsystem_id)
            for subsystem_id, name in session.execute(
                insert(table_of(Subsystem)).returning(Subsystem.id, Subsystem.name), missing
            )
        )
    return ids


def store_maintainers(session: Session, oid: str, sections: list[ParsedSection]) -> tuple[int, dict[int, int]]:
    """Store a parsed MAINTAINERS; its id and section position -> subsystem id."""
    file_id = session.execute(
        insert(table_of(MaintainersFile)).returning(MaintainersFile.id), {"oid": oid}
    ).scalar_one()
    by_name = subsystem_ids(session, (s.name for s in sections))
    if sections:
        session.execute(
            insert(table_of(Section)),
            [
                {
                    "maintainers_file_id": file_id,
                    "subsystem_id": by_name[s.name],
                    "position": s.position,
                    "status": s.status,
                    "maintainers": s.maintainers,
                    "reviewers": s.reviewers,
                    "lists": s.lists,
                    "patterns": s.patterns,
                }
                for s in sections
            ],
        )
    return file_id, {s.position: by_name[s.name] for s in sections}


# Writers on one PostgreSQL database take turns storing a release (scanning stays parallel), so that
# get-or-create of blobs, paths and subsystems never races; SQLite has a single writer anyway.
WRITE_LOCK: Final = 0x6E6F6673  # "nofs"
CLAIMS: Final = 0x636C616D  # "clam": the namespace of per-release claims


def refresh_statistics(session: Session) -> None:
    """PostgreSQL plans queries from table statistics that autovacuum keeps, when it is on and has caught
    up: a first ingest grows tables from nothing within minutes, and a plan made for an empty table (a
    nested loop over 45,000 occurrences, 10 s for a 30 ms comparison) stays until they are refreshed.
    SQLite plans from its indexes alone."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))


def lock_writes(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})


@dataclass(frozen=True)
class StoredRelease:
    id: int
    tag: str
    commit_id: str
    tree_id: str
    sort_key: str
    line: str
    series: str


@dataclass(frozen=True)
class PlannedRelease:
    """A release this run is about to store: where it goes, and its commit."""

    key: str
    line: str
    series: str
    commit_id: str


def stored_releases(session: Session) -> dict[str, StoredRelease]:
    """tag -> every stored release, oldest version first."""
    r = Release
    query = select(r.id, r.tag, r.commit_id, r.tree_id, r.sort_key, r.line, r.series).order_by(r.sort_key, r.tag)
    return {row.tag: StoredRelease(*row) for row in session.execute(query)}


def record_change(session: Session, what: str) -> None:
    """Say, in the transaction that makes it, that what the read side shows has changed: its cache key is the
    count of these rows (app.models.DataChange). Every writer calls it once a transaction that changes data."""
    session.execute(insert(table_of(DataChange)), {"what": what[: DataChange.what.type.length]})


def reclassify(session: Session, version_of: Callable[[str], ReleaseVersion | None]) -> int:
    """Give stored releases the line, series and sort key the current rules derive from their tags
    (releases stored before a rule changed, or before lines existed); how many changed. A moving ref's
    point is the ref's, whatever its name looks like."""
    changed = 0
    for release in stored_releases(session).values():
        version = version_of(release.tag) if release.line != "ref" else None
        if version is None:
            continue
        now = {"sort_key": version.key, "line": version.line.value, "series": version.series}
        if now != {"sort_key": release.sort_key, "line": release.line, "series": release.series}:
            session.execute(update(Release).where(Release.id == release.id).values(**now))
            changed += 1
    if changed:
        record_change(session, f"{changed} release(s) given a new line")
    return changed


@dataclass(frozen=True)
class RepositoryFacts:
    """What a run knows of the repository it reads: how its tags make lines (and why), its remote, its web views."""

    scheme: Scheme
    scheme_rule: str
    remote: str | None
    web: WebViews | None


def record_repository(session: Session, facts: RepositoryFacts) -> bool:
    """Store the repository's facts (one row, id 1) when they differ from those stored; whether they did."""
    now = {
        "scheme": facts.scheme.value,
        "scheme_rule": facts.scheme_rule,
        "remote": facts.remote,
        "web": facts.web.as_json() if facts.web else None,
    }
    stored = session.get(Repository, 1)
    if stored is not None and {key: getattr(stored, key) for key in now} == now:
        return False
    if stored is None:
        session.add(Repository(id=1, **now))
    else:
        for key, value in now.items():
            setattr(stored, key, value)
    session.flush()
    record_change(session, f"repository: {facts.scheme} lines, links {facts.web.name if facts.web else 'none'}")
    return True


def stored_repository(session: Session) -> Repository | None:
    return session.get(Repository, 1)


def drop_moved_refs(session: Session, current: dict[str, str]) -> list[str]:
    """Remove a moving ref's provisional point when the ref now resolves to another name (`next-*`: a
    newer next- tag); `current` is ref -> the name it resolves to now. The tags dropped."""
    dropped = []
    for release in stored_releases(session).values():
        if release.line == "ref" and release.series in current and current[release.series] != release.tag:
            delete_release(session, release.id)
            dropped.append(release.tag)
    if dropped:
        record_change(session, f"moving ref(s) dropped: {', '.join(dropped)}")
    return dropped


def stored_commit(session: Session, tag: str) -> tuple[int, str] | None:
    """(release id, commit) of a stored release, as of now."""
    row = session.execute(select(Release.id, Release.commit_id).where(Release.tag == tag)).one_or_none()
    return (row[0], row[1]) if row else None


class Claims:
    """Which releases this worker takes: other workers skip a release another one holds.

    On PostgreSQL a claim is a session advisory lock on one dedicated connection: it ends when the
    worker releases it or dies. Elsewhere every claim succeeds.
    """

    def __init__(self, engine: Engine) -> None:
        self._connection: Connection | None = None
        if engine.dialect.name == "postgresql":
            self._connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def take(self, tag: str) -> bool:
        if self._connection is None:
            return True
        query = text("SELECT pg_try_advisory_lock(:space, hashtext(:tag))")
        return bool(self._connection.execute(query, {"space": CLAIMS, "tag": tag}).scalar())

    def give_back(self, tag: str) -> None:
        if self._connection is not None:
            query = text("SELECT pg_advisory_unlock(:space, hashtext(:tag))")
            self._connection.execute(query, {"space": CLAIMS, "tag": tag})

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


def delete_attribution(session: Session, release_id: int) -> None:
    for model in (CommitFix, CommitChange, ReleaseCommit, Attribution):
        session.execute(delete(model).where(model.release_id == release_id))


def delete_release(session: Session, release_id: int) -> None:
    delete_attribution(session, release_id)
    for model in (PathCount, SubsystemCount, ReleaseFile):
        session.execute(delete(model).where(model.release_id == release_id))
    session.execute(delete(Release).where(Release.id == release_id))


def write_release_rows(
    session: Session,
    release_id: int,
    files: dict[str, int],
    subsystem_of: dict[str, int],
    counts: dict[int, dict[str, Counts]],
) -> None:
    """The release's files and its totals per path (every level) and per subsystem."""
    path_ids = ensure_paths(session, files)
    path_totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    subsystem_totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for path, blob_id in files.items():
        for identifier, blob_tally in counts[blob_id].items():
            for place in (path, *ancestors(path)):
                _add(path_totals[(place, identifier)], blob_tally)
            _add(subsystem_totals[(subsystem_of[path], identifier)], blob_tally)
    insert_rows(
        session,
        table_of(ReleaseFile),
        [
            {
                "release_id": release_id,
                "path_id": path_ids[p],
                "blob_id": b,
                "subsystem_id": subsystem_of[p],
            }
            for p, b in files.items()
        ],
    )
    insert_rows(
        session,
        table_of(PathCount),
        [
            {"release_id": release_id, "path_id": path_ids[p], "identifier": i, **as_columns(c)}
            for (p, i), c in path_totals.items()
        ],
    )
    insert_rows(
        session,
        table_of(SubsystemCount),
        [
            {"release_id": release_id, "subsystem_id": s, "identifier": i, **as_columns(c)}
            for (s, i), c in subsystem_totals.items()
        ],
    )


def _add(total: list[int], counts: Counts) -> None:
    for index, value in enumerate(counts):
        total[index] += value
