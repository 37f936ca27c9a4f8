"""The bulk helpers every write goes through: the same rows back on SQLite (executemany) and PostgreSQL (COPY)."""

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from app.context_rules import Role
from app.models import Blob, Commit, DataChange, Occurrence
from ingest.context import OccurrenceContext
from ingest.run import IngestOptions, ingest
from ingest.scopes.run import ScopeOptions, read_releases
from ingest.store import (
    CALLEE_CHARS,
    FLAGS_CHARS,
    LOOKUP_BATCH,
    among,
    context_columns,
    ids_by,
    insert_ids,
    insert_rows,
)
from tests.kernel_like import WITH_STABLE, build_history

AWKWARD_LINES = [
    '\tpr_err("a\\tb\\\\c\\n", GFP_NOFS);',  # tabs, backslashes, escapes as C writes them
    "x = GFP_NOFS; /* \\N is COPY's NULL, written as text */",
    "naïve — GFP_NOFS «UTF-8» \u2028",
    "'quoted' \"double\" ,;|\r",
    "",
]


def test_insert_rows_keeps_every_character_and_null(session: Session) -> None:
    blob_ids = insert_ids(session, Blob.oid, Blob.id, [{"oid": "a" * 40, "size": 1, "is_binary": False, "utf8": True}])
    rows = [
        {
            "blob_id": blob_ids["a" * 40],
            "line": n,
            "col": 0,
            "identifier": "GFP_NOFS",
            "kind": "code",
            "function": None if n % 2 else f"f\t{n}",
            "text": line,
        }
        for n, line in enumerate(AWKWARD_LINES)
    ]
    insert_rows(session, Occurrence.__table__, rows)
    stored = session.execute(select(Occurrence.line, Occurrence.function, Occurrence.text).order_by(Occurrence.line))
    assert [tuple(r) for r in stored] == [(r["line"], r["function"], r["text"]) for r in rows]


def test_insert_ids_returns_each_new_id_with_json_and_dates(session: Session) -> None:
    when = datetime(2024, 1, 7, 12, 30, tzinfo=UTC)
    rows = [
        {
            "oid": f"{n:040x}",
            "author_name": "Ann\tO'Neil",
            "author_email": "ann@example.invalid",
            "authored_at": when,
            "subject": f"fix {n}\\n",
            "links": [f"https://lore.kernel.org/r/{n}"] if n % 2 else [],
            "parents": n % 3,
        }
        for n in range(7)
    ]
    ids = insert_ids(session, Commit.oid, Commit.id, rows)
    assert sorted(ids) == [r["oid"] for r in rows] and len(set(ids.values())) == len(rows)
    for row in rows:
        commit = session.get(Commit, ids[row["oid"]])
        assert commit is not None
        assert (commit.oid, commit.links, commit.authored_at, commit.subject) == (
            row["oid"],
            row["links"],
            when,
            row["subject"],
        )


def test_lookups_cover_more_keys_than_one_batch(session: Session) -> None:
    rows = [{"oid": f"{n:040x}", "size": n, "is_binary": False, "utf8": True} for n in range(LOOKUP_BATCH * 2 + 7)]
    ids = insert_ids(session, Blob.oid, Blob.id, rows)
    wanted = [r["oid"] for r in rows[::3]] + ["f" * 40]  # and one that is not stored
    assert ids_by(session, Blob.oid, Blob.id, wanted) == {oid: ids[oid] for oid in wanted[:-1]}
    found = [
        oid
        for condition in among(session, Blob.oid, wanted)
        for oid in session.scalars(select(Blob.oid).where(condition))
    ]
    assert sorted(found) == sorted(wanted[:-1])


def test_context_columns_are_null_for_other_kinds_and_fit_their_columns() -> None:
    assert set(context_columns(None).values()) == {None}
    plain = context_columns(OccurrenceContext(Role.MASK, negated=True))
    assert plain == {"role": "mask", "callee": None, "argument": None, "flags": "", "negated": True}
    many = tuple(f"__GFP_FLAG_{n:03d}" for n in range(100))  # 1,600 characters of flags
    wide = context_columns(OccurrenceContext(Role.ARGUMENT, "f" * 300, 2, many))
    assert len(wide["callee"]) == CALLEE_CHARS and len(wide["flags"]) <= FLAGS_CHARS
    assert wide["flags"].split() == list(many[: len(wide["flags"].split())])  # whole names, in order


def _changes(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(DataChange.what).order_by(DataChange.id)).scalars())


def test_every_writer_records_its_change_and_a_run_that_changes_nothing_records_none(
    engine: Engine, tmp_path: Path
) -> None:
    """The read side's cache key is the count of recorded changes: a writer that forgot would leave every
    running server answering from what it read before (a backfill did, before the changes were recorded)."""
    build_history(tmp_path / "linux")
    options = IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1)
    stats = ingest(engine, options)
    first = _changes(engine)
    tags = stats.releases_ingested
    assert sorted(w for w in first if w.startswith("release ")) == sorted(f"release {tag} stored" for tag in tags)
    assert len([w for w in first if w.startswith("interval of release ")]) == len(tags)  # one attribution each
    ingest(engine, options)
    assert _changes(engine) == first  # nothing new, nothing recorded
    scope_options = ScopeOptions(str(tmp_path / "linux"), tmp_path / "cache", ("*.c", "*.h"), 240, ("v2.0",))
    read_releases(engine, scope_options)
    assert _changes(engine)[len(first) :] == ["scopes of v2.0 read"]
    with engine.begin() as connection:  # what a database ingested before the occurrence context holds
        connection.execute(update(Occurrence).values(role=None, callee=None, argument=None, flags=None, negated=None))
    ingest(engine, options)
    filled = _changes(engine)[len(first) + 1 :]
    assert filled and all(w.startswith("occurrence context: ") and w.endswith("blob(s) filled in") for w in filled)
