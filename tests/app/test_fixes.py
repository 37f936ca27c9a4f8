"""Conversions that needed a fix, as readers and bots see them: the release and subsystem pages, the commit
rows' notes both ways, and /api/v1/fixes, which asks the same query as the pages."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import get_engine
from app.models import Commit
from app.queries import attribution
from app.queries.attribution import CommitView
from ingest.run import IngestOptions, ingest
from tests.fix_history import OTHER_TREE, build_fixes_history
from tests.kernel_like import selection_of
from tests.web import fresh_client, text_of


@pytest.fixture
def history(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict]]:
    monkeypatch.setenv("NOFS_COMMIT_URL", "https://git.example.invalid/c/{commit}")
    commits = build_fixes_history(tmp_path / "repo")
    ingest(engine, IngestOptions(str(tmp_path / "repo"), tmp_path / "cache", selection_of({}), jobs=1))
    with fresh_client() as client:
        yield client, commits


def test_the_api_lists_each_conversion_with_each_fix_and_its_rule(history: tuple[TestClient, dict]) -> None:
    client, c = history
    body = client.get("/api/v1/fixes?release=v1.1").json()
    assert (body["since"], body["conversions"], body["fixed"], body["read_upto"]) == ("v1.0", 2, 1, "v1.2")
    rows = [(i["commit"], i["net"], i["fix_commit"], i["fix_release"]) for i in body["items"]]
    # fs/b's conversion was never fixed; fs/a's three times: in its own interval, by a commit that moved no
    # count, and a release later; the trailer in a message's body names nothing
    a = c["convert_a"]
    assert rows == [(a, -2, c["fix_a"], "v1.1"), (a, -2, c["doc_fix"], "v1.1"), (a, -2, c["late_fix"], "v1.2")]
    assert body["items"][0]["fix_subject"] == "fs/a: keep GFP_NOFS where no scope is held"
    assert body["items"][0]["fix_url"] == f"https://git.example.invalid/c/{c['fix_a']}"
    assert "stable backport" in body["rule"] and "after v1.2" in body["rule"]
    assert client.get("/api/v1/fixes?release=v1.2").json()["conversions"] == 0  # v1.2 converted nothing
    # the scoped API goes up: a conversion opened scopes in functions that stay
    scoped = client.get("/api/v1/fixes?release=v1.1&metric=scoped").json()
    assert (scoped["conversions"], scoped["fixed"]) == (2, 1) and "to existing code" in scoped["rule"]
    csv = client.get("/api/v1/fixes?release=v1.1&format=csv").text.splitlines()
    assert csv[0].startswith("release,commit,url,subject") and len(csv) == 4


def test_scopes_subsystem_and_path_and_from(history: tuple[TestClient, dict]) -> None:
    client, _ = history
    fs_b = client.get("/api/v1/fixes?release=v1.2&from=v1.0&subsystem=FS%20B").json()
    assert (fs_b["conversions"], fs_b["fixed"], fs_b["items"]) == (1, 0, [])
    fs_a = client.get("/api/v1/fixes?release=v1.2&from=v1.0&path=fs/a").json()
    assert (fs_a["conversions"], fs_a["fixed"], fs_a["total"]) == (1, 1, 3)
    assert client.get("/api/v1/fixes?subsystem=NOPE").status_code == 404
    assert client.get("/api/v1/fixes?release=v9").json()["error"] == "not_found"


def test_commit_lists_link_both_ways(history: tuple[TestClient, dict]) -> None:
    client, c = history
    items = {i["commit"]: i for i in client.get("/api/v1/releases/v1.1/commits").json()["items"]}
    a = c["convert_a"]
    assert items[a]["fixed_by"] == f"{c['fix_a']} {c['doc_fix']} {c['late_fix']}"
    assert items[c["fix_a"]]["fixes"] == a and items[c["convert_b"]]["fixed_by"] == ""
    page = client.get("/releases/v1.1")
    words = text_of(page.text)
    assert f"fixed by {c['fix_a'][:12]} fs/a: keep GFP_NOFS where no scope is held ( v1.1 )" in words
    assert f"fixed by {c['late_fix'][:12]} fs/a: close the scope on errors ( v1.2 )" in words
    assert f"fixes {a[:12]} fs/a: convert to a NOFS scope" in words  # on the fix's row (it raised GFP_NOFS)
    assert f'href="https://git.example.invalid/c/{c["late_fix"]}"' in page.text


def test_release_page_shows_the_conversions_that_needed_a_fix_with_its_rule(history: tuple[TestClient, dict]) -> None:
    client, c = history
    page = client.get("/releases/v1.1")
    words = text_of(page.text)
    section = words[words.index("Conversions that needed a fix") :]
    assert "1 of the 2 conversions from v1.0 to v1.1 was named by a Fixes: trailer, 3 times in all." in section
    assert "fs/a: convert to a NOFS scope" in section and "fs/b: convert to a NOFS scope" not in section
    assert "Not seen: a fix without that trailer" in section
    assert 'href="/api/v1/fixes?release=v1.1&amp;from=v1.0"' in page.text
    twin = client.get("/api/v1/fixes?release=v1.1&from=v1.0").json()
    assert [i["fix_commit"][:12] for i in twin["items"]] == [
        w for w in section.split() if len(w) == 12 and w in {c[k][:12] for k in ("fix_a", "doc_fix", "late_fix")}
    ]


def test_subsystem_page_counts_every_interval_up_to_its_release(history: tuple[TestClient, dict]) -> None:
    client, _ = history
    words = text_of(client.get("/subsystems/FS%20A").text)
    assert "1 of the 1 conversion from v1.0 to v1.2 was named by a Fixes: trailer, 3 times in all." in words
    words = text_of(client.get("/subsystems/FS%20B?release=v1.1").text)
    assert "0 of the 1 conversion from v1.0 to v1.1 were named" in words
    assert "No conversion here was named by a Fixes: trailer." in words


def test_a_trailer_naming_another_trees_commit_is_shown_as_written(history: tuple[TestClient, dict]) -> None:
    _, c = history
    # the documentation fix moved no count: it is in no commit list, but it is stored with its trailers
    with Session(get_engine()) as session:
        doc_id = session.execute(select(Commit.id).where(Commit.oid == c["doc_fix"])).scalar_one()
        _, fixes = attribution.fix_links(session, {doc_id: c["doc_fix"]})
    links = {(f.commit, f.found, f.subject) for f in fixes[c["doc_fix"]]}
    assert links == {(c["convert_a"], True, "fs/a: convert to a NOFS scope"), (OTHER_TREE, False, None)}


def test_the_release_page_ranks_its_commits_once(history: tuple[TestClient, dict]) -> None:
    """needed_fixes shares the page's cached ranking: at 101 releases it is 0.2-0.8 s a computation."""
    from app import cache

    client, _ = history
    cache.clear()
    assert client.get("/releases/v1.1").status_code == 200
    rankings = [key for key in cache._store if key[0] == "commit_effects" and key[2][2] is CommitView.COMMITS]
    assert len(rankings) == 1, rankings
