"""The deck (/slides, /slides.html) and its filesystem table's JSON twin, read against git grep and the history
that made them. Printing and the offline file in a browser are in test_browser.py."""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.run import IngestOptions, ingest
from tests.gitrepo import RepoBuilder
from tests.kernel_like import (
    CONVERSION_CALLS,
    CONVERSION_SUBJECT,
    MAINTAINERS,
    MANY_BACK,
    MANY_FILESYSTEMS,
    WITH_STABLE,
    build_many_filesystems,
    fs_function,
    git_grep,
)
from tests.web import fresh_client, text_of


def _table(page: str) -> list[tuple[str, int, int]]:
    """The filesystem slide's rows as a reader sees them: name, left now, left then."""
    body = page.split('<table class="numbers filesystems">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td><td class="num">(\d+)</td>', body)
    return [(html.unescape(name), int(now), int(then)) for name, now, then in rows]


@pytest.mark.parametrize("count", ["uses", "all"])
def test_the_filesystem_slide_its_twin_and_git_grep_agree(client: TestClient, tmp_path: Path, count: str) -> None:
    twin = client.get(f"/api/v1/filesystems?count={count}").json()
    value, previous = ("uses", "previous_uses") if count == "uses" else ("total", "previous_total")
    # v2.0 against five releases back, clamped to the first on the mainline axis (v1.9 v1.10 v2.0)
    assert (twin["release"], twin["since"], twin["back"]) == ("v2.0", "v1.9", 2)
    rows = [(r["name"], r[value], r[previous]) for r in twin["items"]]
    vfs, whole = twin["vfs"], twin["whole"]
    assert _table(client.get(f"/slides?count={count}").text) == [
        *rows,
        (vfs["name"], vfs[value], vfs[previous]),
        ("all of fs/", whole[value], whole[previous]),
    ]
    if count == "uses":  # btrfs converted two of three; xfs is new in v2.0; ext4's only file went in v1.10.1
        assert rows == [("fs/btrfs", 1, 3), ("fs/xfs", 1, 0), ("fs/ext4", 0, 1)]
    assert whole[value] == sum(r[1] for r in rows) + vfs[value]
    assert all(r["change"] == r[value] - r[previous] for r in twin["items"])
    repo = tmp_path / "linux"
    for row in [*twin["items"], whole]:
        name = row["name"].rstrip("/")
        assert row["total"] == git_grep(repo, "v2.0", name)["GFP_NOFS"]
        assert row["previous_total"] == git_grep(repo, "v1.9", name)["GFP_NOFS"]


def test_back_is_asked_for_and_clamped(client: TestClient) -> None:
    one = client.get("/api/v1/filesystems?back=1").json()
    assert (one["since"], one["back"]) == ("v1.10", 1)
    assert "GFP_NOFS by filesystem, v1.10 → v2.0" in html.unescape(client.get("/slides?back=1").text)
    none = client.get("/api/v1/filesystems?back=0").json()
    assert none["since"] == "v2.0" and all(r["change"] == 0 for r in none["items"])
    assert client.get("/api/v1/filesystems?back=-1").status_code == 422


@pytest.fixture
def many(engine: Engine, tmp_path: Path) -> TestClient:
    build_many_filesystems(tmp_path / "linux")
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1))
    return fresh_client()


def test_a_long_table_folds_into_the_other_filesystems(many: TestClient) -> None:
    rows = _table(many.get("/slides").text)
    twin = many.get("/api/v1/filesystems?limit=1000").json()
    shown = [(r["name"], r["uses"], r["previous_uses"]) for r in twin["items"]][:15]
    rest = twin["items"][15:]
    assert len(twin["items"]) == len(MANY_FILESYSTEMS) and twin["back"] == 5 and twin["since"] == "v4.1"
    assert rows[:15] == shown
    others = (f"the other {len(rest)} filesystems", sum(r["uses"] for r in rest), sum(r["previous_uses"] for r in rest))
    assert rows[15] == others and rows[-1][0] == "all of fs/" and len(rows) == 18


def test_the_biggest_conversion_shows_its_lines_before_and_after(many: TestClient) -> None:
    page = html.unescape(many.get(f"/slides?release=v4.{MANY_BACK}").text)
    assert f"The biggest conversion, v4.{MANY_BACK - 1} → v4.{MANY_BACK}: {CONVERSION_SUBJECT}" in page
    assert "Alice Btrfs, " in page and f" {CONVERSION_CALLS} GFP_NOFS converted in 1 file</p>" in page
    before = page.split('<pre class="code before">', 1)[1].split("</pre>", 1)[0]
    after = page.split('<pre class="code after">', 1)[1].split("</pre>", 1)[0]
    assert "fs/btrfs/extent_io.c, alloc_extent_buffer()" in page  # one function: named once, in the heading
    # twelve of the sixteen removed calls, then how many more
    assert before.count("GFP_NOFS") == 12 and "p[11] = kmalloc(19, GFP_NOFS);" in before and "… 4 more" in before
    assert re.findall(r"\s*(\d+)\s+(\S.*)", after) == [
        ("4", "nofs_flag = memalloc_nofs_save();"),
        (str(5 + CONVERSION_CALLS), "memalloc_nofs_restore(nofs_flag);"),
    ]
    # an interval without a conversion (this history has no GFP_NOIO) says so; the first release has no interval
    noio = html.unescape(many.get("/slides?release=v4.5&metric=GFP_NOIO").text)
    assert "No commit between v4.4 and v4.5 converted a use of GFP_NOIO." in noio
    assert "v4.0 is the first release on its axis" in many.get("/slides?release=v4.0").text


SWEEP_SUBJECT = "fs: convert ext2 to a NOFS scope, remove reiserfs"


def test_the_biggest_conversion_is_a_converted_function_never_a_deleted_file(engine: Engine, tmp_path: Path) -> None:
    """One commit converts three uses in ext2 and deletes reiserfs with ten: its net change is -13, its
    conversions 3; the slide names the conversions and shows ext2's function, never the deleted file."""
    repo = RepoBuilder(tmp_path / "linux")
    ext2, reiserfs = "fs/ext2/inode.c", "fs/reiserfs/journal.c"
    repo.commit(
        {
            "MAINTAINERS": MAINTAINERS,
            ext2: fs_function("ext2_get_block", 3, False),
            reiserfs: fs_function("journal_begin", 10, False),
        },
        "Linux 1.0",
    )
    repo.tag("v1.0")
    repo.change({ext2: fs_function("ext2_get_block", 3, True), reiserfs: None}, SWEEP_SUBJECT)
    repo.tag("v1.1")
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", jobs=1))
    page = html.unescape(fresh_client().get("/slides?release=v1.1").text)
    slide = page.split('id="slide-5"', 1)[1].split("</section>", 1)[0]
    assert f"The biggest conversion, v1.0 → v1.1: {SWEEP_SUBJECT}" in slide
    body = slide.split("</h2>", 1)[1]  # the heading names the commit's subject, which names reiserfs
    assert " 3 GFP_NOFS converted in 1 file</p>" in body and "13" not in body.split("</p>", 1)[0]
    assert f"Before, v1.0: {ext2}, ext2_get_block()" in body and "reiserfs" not in body
    before = slide.split('<pre class="code before">', 1)[1].split("</pre>", 1)[0]
    assert before.count("GFP_NOFS") == 3
    split = fresh_client().get("/api/v1/change-kinds?from=v1.0").json()["split"]
    assert (split["converted"], split["removed_with_code"]) == (3, 10)  # what the slide chose between


class _References(HTMLParser):
    """Every URL an element of the document names, by tag and attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value or "") for name, value in attrs if name in ("src", "href", "action", "srcset")]


def test_the_download_is_one_self_contained_file(client: TestClient) -> None:
    answer = client.get("/slides.html?release=v1.10")  # btrfs converted: the converters link their commits
    assert answer.headers["content-disposition"] == 'attachment; filename="nofs-slides-v1.10.html"'
    references = _References()
    references.feed(answer.text)
    # what loads: only data: URIs; what a click opens: only the commits' pages on the web
    loaded = [value for tag, _, value in references.found if tag != "a"]
    assert loaded and all(value.startswith("data:") for value in loaded)
    links = [value for tag, _, value in references.found if tag == "a"]
    assert links and all(value.startswith("https://") for value in links)
    assert "<style>" in answer.text and ".slide {" in answer.text and "@page" in answer.text
    assert "<script>" in answer.text and "ArrowRight" in answer.text and "/static/" not in answer.text
    # the same deck as the page: the same slides and words
    served = client.get("/slides?release=v1.10").text
    assert answer.text.count('<section class="slide') == served.count('<section class="slide') == 6
    deck = text_of(answer.text.split("<main", 1)[1].split(">", 1)[1])
    assert len(deck) > 1000 and deck.split("←")[0] in text_of(served)


def test_a_deleted_filesystem_is_not_a_conversion(client: TestClient) -> None:
    """v1.10 -> v2.0 lost ext4's only GFP_NOFS with its file and gained one in xfs: nobody converted anything."""
    deck = text_of(html.unescape(client.get("/slides?release=v2.0").text))
    nothing = "No commit between v1.10 and v2.0 converted a use of GFP_NOFS. What fell was removed with its code 1."
    assert nothing in deck
    assert "Who converted GFP_NOFS, v1.10 → v2.0" in deck
    assert "removed with its code 1 · added in new code 1 : ±0 uses" in deck
    converted = text_of(html.unescape(client.get("/slides?release=v1.10").text))
    assert "Who converted GFP_NOFS, v1.9 → v1.10" in converted and "converted 2 : -2 uses" in converted
    assert "Alice Btrfs -2 2 commits" in converted
