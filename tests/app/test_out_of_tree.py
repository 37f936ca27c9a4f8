"""An out-of-tree filesystem's history (X.Y.0, X.Y.1, … on one branch) drawn as one line, with links to its own
repository: ingested as a user would, with --stable, and read on the pages and the API."""

import html
import re
from itertools import pairwise
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from app.models import Repository
from cli.main import main
from ingest.run import IngestOptions, ingest
from ingest.tags import TagSelection
from tests.kernel_like import git_grep
from tests.out_of_tree import (
    CONVERSION_SUBJECT,
    CONVERTED_AT,
    MOVE_SUBJECT,
    MOVED_AT,
    MOVED_USES,
    NEW_PATH,
    RELEASES,
    build_out_of_tree,
)
from tests.web import Serve, fresh_client, text_of

GITHUB = "https://github.com/koverstreet/bcachefs-tools"


def _serve(serve: Serve) -> TestClient:
    return serve(build_out_of_tree)


def test_every_release_is_a_point_on_one_line(serve: Serve, tmp_path: Path) -> None:
    client = _serve(serve)
    answer = client.get("/api/v1/releases").json()
    assert [r["tag"] for r in answer["items"]] == list(RELEASES)
    assert {r["line"] for r in answer["items"]} == {"mainline"} and answer["lines"] == "flat"
    assert "v1.4.0 is X.Y.0" in answer["lines_rule"]
    page = text_of(html.unescape(client.get("/releases").text))
    assert f"Releases : {len(RELEASES)} releases, v1.4.0 to v1.8.0" in page and "stable" not in page
    assert "Lines: one line: every release in version order" in page
    trend = client.get("/charts/trend.vl.json").json()["data"]["values"]
    whole = {row["release"]: row["value"] for row in trend if row["series"] == "GFP_NOFS, whole tree"}
    assert list(whole) == list(RELEASES)  # a point a release
    repo = tmp_path / "linux"
    assert list(whole.values()) == [git_grep(repo, tag)["GFP_NOFS"] for tag in RELEASES]
    headline = text_of(html.unescape(client.get("/").text))
    assert f"since {RELEASES[0]}" in headline


def test_each_release_compares_with_the_one_before_it_in_version_order(serve: Serve) -> None:
    client = _serve(serve)
    for older, newer in pairwise(RELEASES):
        summary = client.get(f"/api/v1/releases/{newer}").json()
        assert summary["previous"] == older, newer
        assert f"{newer} against {older}" in text_of(html.unescape(client.get(f"/releases/{newer}").text))


def test_the_moved_file_shows_the_move_and_the_conversion(serve: Serve) -> None:
    client = _serve(serve)
    history = client.get(f"/api/v1/files/{NEW_PATH}/history").json()["items"]
    uses = {r["release"]: r["uses"] for r in history}
    assert uses[MOVED_AT] == MOVED_USES and uses[CONVERTED_AT] == 0
    assert all(uses[tag] == 0 for tag in RELEASES[: RELEASES.index(MOVED_AT)])
    commits = client.get(f"/api/v1/files/{NEW_PATH}/commits?release={RELEASES[-1]}").json()["items"]
    assert {c["subject"]: c["net"] for c in commits} == {MOVE_SUBJECT: MOVED_USES, CONVERSION_SUBJECT: -MOVED_USES}
    page = html.unescape(client.get(f"/tree/{NEW_PATH}").text)
    assert MOVE_SUBJECT in page and CONVERSION_SUBJECT in page


def test_links_go_to_the_repository_on_github_and_the_api_agrees(serve: Serve) -> None:
    client = _serve(serve)
    commits = client.get(f"/api/v1/files/{NEW_PATH}/commits?release={RELEASES[-1]}").json()["items"]
    assert commits and all(c["url"] == f"{GITHUB}/commit/{c['commit']}" for c in commits)
    newest = client.get(f"/tree/{NEW_PATH}").text
    for c in commits:
        assert f'href="{GITHUB}/commit/{c["commit"]}"' in newest
    moved = client.get(f"/tree/{NEW_PATH}?release={MOVED_AT}").text  # its occurrences, each linked to its line
    assert f'href="{GITHUB}/blob/{MOVED_AT}/{NEW_PATH}#L3"' in moved
    assert not any(word in page for page in (newest, moved) for word in ("elixir", "git.kernel.org"))
    assert "linked to GitHub" in text_of(client.get("/releases").text)


def test_a_repository_with_no_known_web_view_gets_no_links(engine: Engine, tmp_path: Path) -> None:
    repo = build_out_of_tree(tmp_path / "linux")
    repo.repo.remotes.delete("origin")
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", jobs=1))
    client = fresh_client()
    commits = client.get(f"/api/v1/files/{NEW_PATH}/commits?release={RELEASES[-1]}").json()["items"]
    assert len(commits) == 2 and all(c["url"] is None for c in commits)
    page = client.get(f"/tree/{NEW_PATH}").text
    assert not re.search(r'href="https?://', page), re.findall(r'href="https?://[^"]+', page)  # not one link out
    assert f'<code title="{commits[0]["commit"]}">{commits[0]["commit"][:12]}</code>' in page
    assert "not linked: no web view is known" in text_of(client.get("/releases").text)


def test_kernel_lines_chosen_then_guessed_again_without_a_scan(engine: Engine, tmp_path: Path) -> None:
    """Ingested under the kernel's lines (what nofs did before schemes), then again under the guess: the lines
    change, no blob is scanned again, and the intervals whose previous release changed are attributed again."""
    from app.lines import Scheme

    build_out_of_tree(tmp_path / "linux")
    kernel = TagSelection(include_stable=True, scheme=Scheme.KERNEL)
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", kernel, jobs=1))
    before = fresh_client().get("/api/v1/releases").json()
    assert before["lines"] == "kernel" and {r["line"] for r in before["items"]} == {"mainline", "stable"}
    again = ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", TagSelection(), jobs=1))
    assert again.blobs_scanned == 0 and not again.releases_ingested
    after = fresh_client().get("/api/v1/releases").json()
    assert after["lines"] == "flat" and {r["line"] for r in after["items"]} == {"mainline"}
    assert [r["tag"] for r in after["items"]] == list(RELEASES)
    # v1.6 (a mainline release under the kernel's lines) had the first interval; now each has one
    assert fresh_client().get("/api/v1/releases/v1.4.1/commits").json()["total"] == 1


def test_db_relines_recomputes_lines_from_the_stored_tags(engine: Engine, tmp_path: Path) -> None:
    """A database ingested before the repository was recorded (here: its row taken away, lines the kernel's)."""
    from app.lines import Scheme

    build_out_of_tree(tmp_path / "linux")
    kernel = TagSelection(include_stable=True, scheme=Scheme.KERNEL)
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", kernel, jobs=1))
    with Session(engine) as session, session.begin():
        session.execute(delete(Repository))
    assert fresh_client().get("/api/v1/releases").json()["lines"] == "kernel"
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "lines: flat" in result.output and f"{len(RELEASES)} release(s) changed line" in result.output
    answer = fresh_client().get("/api/v1/releases").json()
    assert answer["lines"] == "flat" and "(from the stored tags)" in answer["lines_rule"]
    chosen = CliRunner().invoke(main, ["db", "relines", "--lines", "kernel"])
    assert chosen.exit_code == 0 and "lines: kernel" in chosen.output
    assert fresh_client().get("/api/v1/releases").json()["lines"] == "kernel"
    bad = CliRunner().invoke(main, ["db", "relines", "--lines", "wide"])
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1
