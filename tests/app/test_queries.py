"""Comparison queries that a page reads in part (the first rows, a summary) against the whole lists the API
reads: the same answer either way, on SQLite and PostgreSQL, on the kernel-like history and two releases
whose edits test what counts as the same occurrence."""

from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.metrics import METRICS, Count
from app.queries import changes, occurrences, releases
from ingest.run import IngestOptions, ingest
from tests.kernel_like import WITH_STABLE, build_history

NOFS = METRICS["GFP_NOFS"]
BEFORE = (
    b"int f(void)\n{\n"
    b"\tx = kmalloc(1, GFP_NOFS);\n"  # re-indented with blanks and given a trailing tab at v2.2: the same
    b"\ty = kmalloc(2, GFP_NOFS);\n"  # a blank taken out inside the line at v2.2: removed and added
    b"\tz = kmalloc(3, GFP_NOFS);\n"  # copied once more at v2.2: one added
    b"}\n"
)
AFTER = (
    b"int f(void)\n{\n"
    b"        x = kmalloc(1, GFP_NOFS);\t\n"
    b"\ty = kmalloc(2,GFP_NOFS);\n"
    b"\tz = kmalloc(3, GFP_NOFS);\n"
    b"\tz = kmalloc(3, GFP_NOFS);\n"
    b"}\n"
)
ONLY_OTHER_LINES = b"/* a comment */\nint g(void) { return h(GFP_NOFS); }\n"


@pytest.fixture
def session(engine: Engine, tmp_path: Path) -> Iterator[Session]:
    repo = build_history(tmp_path / "linux")
    repo.release("v2.1", {"fs/ws/edit.c": BEFORE, "fs/ws/gone.c": BEFORE, "fs/ws/other.c": ONLY_OTHER_LINES})
    repo.release(
        "v2.2",
        {
            "fs/ws/edit.c": AFTER,
            "fs/ws/gone.c": None,
            "fs/ws/new.c": AFTER,
            "fs/ws/other.c": b"/* another comment */\n" + ONLY_OTHER_LINES,
        },
    )
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1))
    with Session(engine) as session:
        yield session


def _by_file(changes: tuple[occurrences.OccurrenceChange, ...]) -> tuple[occurrences.FileOccurrenceChanges, ...]:
    added = Counter(c.path for c in changes if c.added)
    removed = Counter(c.path for c in changes if not c.added)
    files = [occurrences.FileOccurrenceChanges(p, added[p], removed[p]) for p in added.keys() | removed.keys()]
    return tuple(sorted(files, key=lambda f: (-(f.added + f.removed), f.path)))


def _pairs(session: Session) -> list[tuple[releases.ReleaseRef, releases.ReleaseRef]]:
    every = releases.releases(session)
    return [*pairwise(every), (every[0], every[-1]), (every[-1], every[0])]


def test_blanks_around_a_line_do_not_make_an_occurrence_new(session: Session) -> None:
    v2_1, v2_2 = releases.release_ref(session, "v2.1"), releases.release_ref(session, "v2.2")
    summary = occurrences.occurrence_change_summary(session, v2_1, v2_2, NOFS)
    ours = {f.path: (f.added, f.removed) for f in summary if f.path.startswith("fs/ws/")}
    assert ours == {"fs/ws/new.c": (4, 0), "fs/ws/gone.c": (0, 3), "fs/ws/edit.c": (2, 1)}
    edit = occurrences.occurrence_changes(session, v2_1, v2_2, NOFS, "fs/ws/edit.c")
    assert [(c.added, c.line, c.text.strip()) for c in edit] == [
        (True, 4, "y = kmalloc(2,GFP_NOFS);"),
        (True, 6, "z = kmalloc(3, GFP_NOFS);"),
        (False, 4, "y = kmalloc(2, GFP_NOFS);"),
    ]


@pytest.mark.parametrize("metric", ["GFP_NOFS", "legacy", "scoped"])
def test_the_per_file_summary_counts_what_the_matching_leaves(session: Session, metric: str) -> None:
    for older, newer in _pairs(session):
        changes = occurrences.occurrence_changes(session, older, newer, METRICS[metric])
        summary = occurrences.occurrence_change_summary(session, older, newer, METRICS[metric])
        assert summary == _by_file(changes), (older.tag, newer.tag)
        assert all(type(f.added) is int and type(f.removed) is int for f in summary)  # not PostgreSQL's numeric
        for path in {c.path for c in changes}:
            one = occurrences.occurrence_changes(session, older, newer, METRICS[metric], path)
            assert one == tuple(c for c in changes if c.path == path)
    assert any(occurrences.occurrence_change_summary(session, a, b, METRICS[metric]) for a, b in _pairs(session))


@pytest.mark.parametrize("count", list(Count))
def test_the_first_moved_files_are_the_first_of_every_moved_file(session: Session, count: Count) -> None:
    for older, newer in _pairs(session):
        every = changes.file_changes(session, older, newer, NOFS, count)
        assert list(every) == sorted(every, key=lambda p: (-abs(p.change), p.name)) and all(p.change for p in every)
        for limit in (1, 2, 100):
            top = changes.top_file_changes(session, older, newer, NOFS, count, limit)
            assert (top.moved, top.places) == (len(every), every[:limit]), (older.tag, newer.tag, limit)
    v2_1, v2_2 = releases.release_ref(session, "v2.1"), releases.release_ref(session, "v2.2")
    assert changes.top_file_changes(session, v2_1, v2_2, NOFS, count, 2).moved >= 3
