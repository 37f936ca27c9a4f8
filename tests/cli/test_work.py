"""`nofs ingest` from the command line: one summary line, and one-line errors."""

import json
from pathlib import Path

import pygit2
import pytest

from app.settings import get_settings
from tests.cli.runner import error_line, nofs


def test_ingest_prints_one_summary_line_then_report_reads_it(db_url: str, history: Path) -> None:
    result = nofs("ingest", "--jobs", "2", str(history))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == [result.stdout.strip()]
    # by default the mainline releases: v1.9, v1.10, v2.0 (not the stable v1.10.1 nor v2.0-rc1)
    assert result.stdout.startswith("ingested 3 release(s), 0 already stored; scanned ")
    again = nofs("ingest", "--stable", str(history))
    assert again.stdout.startswith("ingested 1 release(s), 3 already stored; scanned ")


def test_not_a_path_not_a_repository_no_tags(db_url: str, history: Path, tmp_path: Path) -> None:
    assert "no such file or directory" in error_line(nofs("ingest", str(tmp_path / "missing")))
    (tmp_path / "plain").mkdir()
    assert "is not a git repository" in error_line(nofs("ingest", str(tmp_path / "plain")))
    assert "no release tag matches '^release-'" in error_line(nofs("ingest", "--tags", "^release-", str(history)))
    assert "'soon' is not a version" in error_line(nofs("ingest", "--since", "soon", str(history)))


def test_a_url_with_since_fetches_in_logged_steps_and_errors_are_one_line(db_url: str, history: Path) -> None:
    url = f"file://{history}"
    result = nofs("ingest", "--since", "v1.10", url)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ingested 2 release(s), 0 already stored")  # v1.10 and v2.0, mainline
    # not a terminal: git's own progress is replaced by one line a step
    assert f"fetching {url}: tags 1-2 of 2 (v1.10 … v2.0), history after v1.9; step 1 of 1" in result.stderr
    assert "the mirror holds every selected release already" in nofs("ingest", "--since", "v1.10", url).stderr
    assert "nofs: error: listing the tags of file:///nowhere failed: " in error_line(
        nofs("ingest", "--since", "v1.10", "file:///nowhere")
    )
    assert f"{url}: no release tag matches '^release-'" in error_line(
        nofs("ingest", "--since", "v1.10", "--tags", "^release-", url)
    )


def test_unreachable_database(history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nofs:secret@127.0.0.1:1/nofs")
    get_settings.cache_clear()
    line = error_line(nofs("ingest", str(history)))
    assert "cannot use the database postgresql+psycopg://nofs:***@127.0.0.1:1/nofs" in line
    assert "secret" not in line
    get_settings.cache_clear()


def test_unreadable_object_stops_with_nothing_lost(db_url: str, history: Path) -> None:
    assert nofs("ingest", "--until", "v1.9", str(history)).exit_code == 0
    # v1.10 brings one new blob; remove it from the object store
    repo = pygit2.Repository(str(history))
    blob = repo.revparse_single("v1.10:fs/btrfs/inode.c").id
    (history / ".git" / "objects" / str(blob)[:2] / str(blob)[2:]).unlink()
    assert f"object {blob}" in error_line(nofs("ingest", "--jobs", "1", str(history)))
    report = json.loads(nofs("report", "path", "--format", "json").stdout)
    assert report["release"]["tag"] == "v1.9" and [r for r in report["items"] if r["type"] == "total"]
