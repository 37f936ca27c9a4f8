"""Commit attribution as readers and bots see it: release, compare, subsystem, directory and file pages,
and /api/v1's commit lists, on the kernel-like history (v1.10 is a merged btrfs pull)."""

import html
import re
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.metrics import METRICS, Count
from app.queries import attribution, releases
from app.queries.attribution import CommitView
from tests.kernel_like import BTRFS_MERGE_SUBJECT, build_history
from tests.web import Serve, text_of

HOSTILE_MESSAGE = (
    'fs: <script>alert(1)</script> "quoted"\n\nLink: javascript:alert(2)\nLink: https://lore.kernel.org/r/ok\n'
)


def with_a_hostile_message(path: Path) -> None:
    repo = build_history(path)
    repo.change({"fs/namei.c": b"static int x = GFP_NOFS;\nstatic int y = GFP_NOFS;\n"}, HOSTILE_MESSAGE)
    repo.tag("v2.1")


@pytest.fixture
def client(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("NOFS_COMMIT_URL", "https://git.example.invalid/c/{commit}")
    return serve(with_a_hostile_message)


def test_release_commits_and_their_effect(client: TestClient) -> None:
    body = client.get("/api/v1/releases/v1.10/commits").json()
    assert body["since"] == "v1.9" and body["commits_walked"] == 4 and body["attributed"] is True
    by_subject = {c["subject"]: c for c in body["items"]}
    assert set(by_subject) == {"btrfs: open a NOFS scope instead of GFP_NOFS", "btrfs: convert one more"}
    first = by_subject["btrfs: open a NOFS scope instead of GFP_NOFS"]
    assert (first["net"], first["removed"], first["added"], first["files"], first["merge"]) == (-1, 1, 0, 1, False)
    assert first["links"] == "https://lore.kernel.org/r/btrfs-scope-1 https://lore.kernel.org/r/btrfs-scope-2"
    assert first["author_name"] == "Alice Btrfs" and first["step"] is None
    assert first["url"] == f"https://git.example.invalid/c/{first['commit']}"
    merges = client.get("/api/v1/releases/v1.10/commits?view=merges").json()["items"]
    assert [(m["subject"], m["net"], m["step"], m["merge"]) for m in merges] == [(BTRFS_MERGE_SUBJECT, -2, 2, True)]


@pytest.mark.parametrize("query", ["", "?count=all", "?metric=scoped", "?metric=legacy&count=all", "?metric=GFP_NOIO"])
def test_first_parent_steps_add_up_to_every_release_change(client: TestClient, query: str) -> None:
    joiner = "&" if query else "?"
    for release in client.get("/api/v1/releases").json()["items"][1:]:
        tag = release["tag"]
        summary = client.get(f"/api/v1/releases/{tag}{query}").json()
        merges = client.get(f"/api/v1/releases/{tag}/commits{query}{joiner}view=merges&limit=1000").json()["items"]
        assert sum(m["net"] for m in merges) == summary["change_since_previous"], tag
        page = text_of(client.get(f"/releases/{tag}{query}").text)
        assert "exactly the change above" in page, (tag, page[page.find("Which commits") :][:300])


def test_orders_and_authors(client: TestClient) -> None:
    lowered = client.get("/api/v1/releases/v2.1/commits?order=lowered&metric=GFP_NOFS").json()["items"]
    assert [c["net"] for c in lowered] == sorted(c["net"] for c in lowered)
    raised = client.get("/api/v1/releases/v2.1/commits?order=raised").json()["items"]
    assert raised[0]["net"] == 1 and raised[0]["subject"].startswith("fs: <script>")
    authors = client.get("/api/v1/releases/v1.10/authors").json()["items"]
    assert [(a["name"], a["commits"], a["lowered"], a["raised"]) for a in authors] == [("Alice Btrfs", 2, 2, 0)]


def test_subsystem_directory_and_file_commits(client: TestClient) -> None:
    subsystem = client.get("/api/v1/subsystems/BTRFS FILE SYSTEM/commits").json()["items"]
    in_file = client.get("/api/v1/files/fs/btrfs/inode.c/commits").json()["items"]
    in_dir = client.get("/api/v1/files/fs/btrfs/commits").json()["items"]
    assert [c["commit"] for c in subsystem] == [c["commit"] for c in in_file] == [c["commit"] for c in in_dir]
    assert [c["subject"] for c in subsystem] == [
        "btrfs: convert one more",
        "btrfs: open a NOFS scope instead of GFP_NOFS",
    ]
    assert client.get("/api/v1/files/fs/btrfs/commits?release=v1.9").json()["items"] == []  # up to v1.9: none
    assert client.get("/api/v1/subsystems/NO SUCH/commits").status_code == 404
    assert client.get("/api/v1/files/no/such/commits").status_code == 404
    assert client.get("/api/v1/releases/v9.9/commits").status_code == 404
    assert client.get("/api/v1/releases/v1.10/commits?view=sideways").status_code == 422


def test_release_page_shows_who_moved_it(client: TestClient) -> None:
    html = client.get("/releases/v1.10").text
    words = text_of(html)
    assert "4 commits from v1.9 to v1.10; 2 of them changed GFP_NOFS (uses) themselves" in words
    assert re.search(r"The 1 step along the first-parent line adds up to -2 , exactly the change above", words)
    assert "Merge tag &#39;btrfs-for-1.10&#39;" in html and "Alice Btrfs" in html
    assert 'href="https://git.example.invalid/c/' in html and 'href="https://lore.kernel.org/r/btrfs-scope-1"' in html
    assert "Which commits" not in client.get("/releases/v1.9").text  # the first release has no interval
    assert "1 commit from v1.10 to v1.10.1; it changed GFP_NOFS (uses)." in text_of(
        client.get("/releases/v1.10.1").text
    )
    assert "1 commit from v1.10 to v1.10.1; it did not change FGP_NOFS (uses)." in text_of(
        client.get("/releases/v1.10.1?metric=FGP_NOFS").text
    )


def test_compare_spans_intervals_and_refuses_backwards(client: TestClient) -> None:
    words = text_of(client.get("/compare?from=v1.9&to=v2.0").text)
    assert "7 commits from v1.9 to v2.0" in words and "exactly the change above" in words
    assert "commits are listed only from an older release" in text_of(client.get("/compare?from=v2.0&to=v1.9").text)


def test_subsystem_directory_and_file_pages_list_commits(client: TestClient) -> None:
    for url in ("/subsystems/BTRFS FILE SYSTEM", "/tree/fs/btrfs", "/tree/fs/btrfs/inode.c"):
        words = text_of(client.get(url).text)
        section = words[words.find("Commits that changed") :]
        assert "btrfs: convert one more" in section and "btrfs: open a NOFS scope" in section, url
        assert section.find("convert one more") < section.find("open a NOFS scope"), url  # newest first


def test_hostile_commit_messages_are_escaped_and_not_linked(client: TestClient) -> None:
    html = client.get("/releases/v2.1").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html and 'href="https://lore.kernel.org/r/ok"' in html


def test_without_commits_pages_say_so(serve: Serve) -> None:
    client = serve(with_a_hostile_message, commits=False)
    assert "are not attributed yet" in text_of(client.get("/releases/v1.10").text)
    body = client.get("/api/v1/releases/v1.10/commits").json()
    assert body["attributed"] is False and body["items"] == [] and body["since"] is None


def test_slides_thank_the_converters_of_the_cycle(client: TestClient) -> None:
    words = html.unescape(text_of(client.get("/slides?release=v1.10").text))
    assert "Who converted GFP_NOFS, v1.9 → v1.10" in words
    assert "Alice Btrfs -2 2 commits" in words and "-2 -2 Merge tag 'btrfs-for-1.10'" in words  # converted, net
    assert "Who converted" not in client.get("/slides?release=v1.9").text  # no interval before the first


@pytest.mark.parametrize("metric", ["GFP_NOFS", "legacy", "scoped"])
def test_the_step_summary_is_what_every_step_adds_up_to(engine: Engine, client: TestClient, metric: str) -> None:
    """The page's first-parent steps are counted, added up and ranked by the database; the API lists them all."""
    with Session(engine) as session:
        every = releases.releases(session)
        for older, newer in [*pairwise(every), (every[0], every[-1])]:
            within = releases.releases_between(session, older, newer)
            for count in Count:
                steps = attribution.commit_effects(session, METRICS[metric], count, CommitView.MERGES, within)
                for limit in (1, 3):
                    summary = attribution.step_summary(session, METRICS[metric], count, within, limit)
                    largest = sorted(steps, key=lambda r: (-abs(r.net), r.commit))[:limit]
                    assert (summary.steps, summary.total, summary.largest) == (
                        len(steps),
                        sum(r.net for r in steps),
                        tuple(largest),
                    ), (older.tag, newer.tag, count, limit)
        whole = releases.releases_between(session, every[0], every[-1])
        assert attribution.step_summary(session, METRICS[metric], Count.USES, whole, 3).steps > 1
