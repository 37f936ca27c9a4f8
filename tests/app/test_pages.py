"""Pages as a reader sees them, on a synthetic kernel-like history: the numbers read against the database."""

import gc
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app import cache, lines
from app.db import get_engine
from app.main import create_app
from app.queries import releases
from app.settings import get_settings
from app.web.rendering import templates
from app.web.warmup import YOUNG_OBJECTS
from ingest.run import IngestOptions, ingest
from tests.kernel_like import WITH_STABLE, build_history, git_grep
from tests.web import Serve, fresh_client, text_of


def with_a_script_in_a_string(path: Path) -> None:
    repo = build_history(path)
    repo.release("v2.1", {"fs/ext4/xss.c": b'int f(void)\n{\n\treturn g("<script>alert(1)</script>", GFP_NOFS);\n}\n'})


@pytest.fixture
def client(serve: Serve) -> TestClient:
    return serve(with_a_script_in_a_string)


def test_overview_headlines_match_git_grep(client: TestClient, tmp_path: Path) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<title>GFP_NOFS at v2.1" in page.text
    words = text_of(page.text)
    # uses in fs/ at v2.1: btrfs 1, namei 1, latin1 1, xfs 1, xss 1; at v2.0 one fewer, at v1.9 six
    assert re.search(r"GFP_NOFS in fs/ 5 \+1 since v2\.0 -1 since v1\.9", words), words[:600]
    assert re.search(r"GFP_NOFS outside fs/ 0 ", words)  # gfp.h: a definition and a comment, no use
    # btrfs's and raid1's calls and memalloc_flags_save in sched/mm.h; the definitions do not count
    assert re.search(r"scopes opened \(memalloc_\*_save\) 3 ", words)
    in_fs = git_grep(tmp_path / "linux", "v2.1", "fs")["GFP_NOFS"]  # every kind: + btrfs's comment, ctree.h's string
    assert re.search(rf"GFP_NOFS in fs/ {in_fs} ", text_of(client.get("/?count=all").text)) and in_fs == 7


def test_subsystem_table_filters_with_htmx_and_without(client: TestClient) -> None:
    full = client.get("/subsystems?q=btrfs")
    assert "<html" in full.text and "BTRFS FILE SYSTEM" in full.text and "EXT4" not in text_of(full.text)
    partial = client.get("/subsystems?q=btrfs", headers={"HX-Request": "true"})
    assert "<html" not in partial.text and 'id="subsystem-table"' in partial.text
    assert "BTRFS FILE SYSTEM" in partial.text and "THE REST" not in partial.text
    assert "HX-Request" in partial.headers["Vary"]
    by_name = text_of(client.get("/subsystems?sort=name", headers={"HX-Request": "true"}).text)
    assert by_name.index("BTRFS") < by_name.index("EXT4") < by_name.index("THE REST")


def test_subsystem_page(client: TestClient) -> None:
    page = client.get("/subsystems/BTRFS%20FILE%20SYSTEM?release=v1.9")
    words = text_of(page.text)
    assert "David Sterba" in words and "linux-btrfs@vger.kernel.org" in words and "Maintained" in words
    assert "fs/btrfs/inode.c 3" in words  # three GFP_NOFS uses at v1.9


def test_directory_browser_and_breadcrumbs(client: TestClient) -> None:
    page = client.get("/tree/fs?release=v1.10")
    words = text_of(page.text)
    assert "btrfs/ 1 -2" in words  # three uses at v1.9, one at v1.10
    assert 'href="/tree/fs?release=v1.10"' in page.text and 'href="/tree?release=v1.10"' in page.text


def test_file_page_lists_every_occurrence_escaped_with_links(client: TestClient) -> None:
    page = client.get("/tree/fs/ext4/xss.c")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "https://elixir.bootlin.com/linux/v2.1/source/fs/ext4/xss.c#L3" in page.text
    assert "git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/fs/ext4/xss.c?h=v2.1#n3" in page.text
    words = text_of(page.text)
    assert re.search(r"3 GFP_NOFS code f ", words)
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', page.text)
    assert twin and client.get(twin.group(1)).json()["items"][0]["line"] == 3


def test_release_page_shows_what_moved(client: TestClient) -> None:
    page = text_of(client.get("/releases/v1.10").text)
    assert "v1.10 against v1.9" in page and "fs/btrfs/inode.c 1 -2" in page
    assert page.count("removed") >= 2  # the two converted kmalloc(…, GFP_NOFS) lines
    compare = text_of(client.get("/compare?from=v1.9&to=v2.1&metric=GFP_NOIO").text)
    assert "v2.1 against v1.9" in compare and "drivers/md/raid1.c 0 -2" in compare


def test_metric_and_count_selectors_change_the_numbers(client: TestClient) -> None:
    noio = text_of(client.get("/tree?metric=GFP_NOIO&release=v1.9").text)
    assert "drivers/ 2" in noio and "mm/ 1" in noio
    assert 'option value="GFP_NOIO" selected' in client.get("/?metric=GFP_NOIO").text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/releases/v9.9", 404),
        ("/tree/no/such/dir", 404),
        ("/subsystems/NO%20SUCH%20SUBSYSTEM", 404),
        ("/?metric=GFP_EVERYTHING", 422),
        ("/?count=some", 422),
        ("/?release=v0.0", 404),
        ("/charts/trend.gif", 422),
        ("/compare?from=v1.9", 422),
    ],
)
def test_unknown_things_are_proper_error_pages(client: TestClient, url: str, status: int) -> None:
    page = client.get(url)
    assert page.status_code == status and "<title>" in page.text and "Traceback" not in page.text


def test_charts_as_vega_lite_svg_and_png(client: TestClient) -> None:
    spec = client.get("/charts/trend.vl.json?metric=GFP_NOIO").json()
    values = {(row["release"], row["series"]): row["value"] for row in spec["data"]["values"]}
    assert values[("v1.9", "GFP_NOIO, whole tree")] == 3 and values[("v2.0", "GFP_NOIO, whole tree")] == 0
    assert "v1.10.1" not in {release for release, _ in values}  # mainline: no stable zigzag
    stable = client.get("/charts/trend.vl.json?metric=GFP_NOIO&release=v1.10.1").json()["data"]["values"]
    assert {row["release"] for row in stable} - {"+1 releases"} == {"v1.10", "v1.10.1"}  # the v1.10 series
    svg = client.get("/charts/trend.svg?metric=GFP_NOIO&release=v1.10.1")
    assert svg.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(svg.content)
    assert root.tag.endswith("svg") and "v1.10.1" in svg.text
    png = client.get("/charts/subsystems.png")
    assert (
        png.headers["content-type"] == "image/png"
        and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        and len(png.content) > 5000
    )
    slide = client.get("/charts/trend.vl.json?size=slide").json()
    assert slide["title"]["fontSize"] > spec["title"]["fontSize"]


def test_slides_and_about(client: TestClient) -> None:
    slides = client.get("/slides")
    # the sixth slide thanks who lowered it since the previous release: none before the first release
    assert slides.status_code == 200 and slides.text.count('<section class="slide') == 6
    assert client.get("/slides?release=v1.9").text.count('<section class="slide') == 5
    about = text_of(client.get("/about").text)
    assert "git grep -o -w IDENT TAG" in about and "GFP_NOFS" in about


def test_empty_database_says_how_to_ingest(engine: Engine) -> None:
    with fresh_client() as client:
        page = client.get("/")
    assert page.status_code == 200 and "nofs ingest" in page.text


def test_database_that_was_never_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never.sqlite3'}")
    with fresh_client() as client:
        assert "nofs ingest" in client.get("/").text
        assert client.get("/tree").status_code == 404


def test_database_down_is_a_503_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nofs@127.0.0.1:1/nofs")
    with fresh_client() as client:
        page = client.get("/")
    assert page.status_code == 503 and "Database unavailable" in page.text
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_release_list_groups_lines_and_compares_each_with_its_predecessor(client: TestClient) -> None:
    page = client.get("/releases?metric=GFP_NOIO").text
    mainline, stable = page.index("<strong>Mainline</strong>"), page.index("<strong>v1.10 stable</strong>")
    assert mainline < stable
    # v2.0 follows v1.10 on mainline, not the stable v1.10.1 that sorts between them
    row = page[page.index('href="/releases/v2.0') :]
    assert "<td>v1.10</td>" in row[: row.index("</tr>")]
    stable_row = page[page.index('href="/releases/v1.10.1') :]
    assert "<td>v1.10</td>" in stable_row[: stable_row.index("</tr>")]


def test_overview_walks_each_release_timeline_once(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The subsystem table asks for the previous release on every row: at 100 releases and 2,600 subsystems,
    walking the timeline per row was a sixth of the overview's first request."""
    walked: Counter[str] = Counter()
    predecessors = lines.predecessors

    def counting(releases: Sequence[releases.ReleaseRef]) -> list[releases.ReleaseRef | None]:
        walked.update(release.tag for release in releases)
        return predecessors(releases)

    monkeypatch.setattr(lines, "predecessors", counting)
    cache.clear()
    page = client.get("/")
    assert page.status_code == 200 and "subsystem" in page.text.lower()
    assert walked and max(walked.values()) == 1, walked


def test_a_moving_ref_is_labelled_provisional_everywhere(engine: Engine, tmp_path: Path) -> None:
    repo = build_history(tmp_path / "linux")
    files = {
        **repo.files,
        "fs/xfs/xfs_buf.c": b"void x(void)\n{\n\tkmalloc(1, GFP_NOFS);\n\tkmalloc(2, GFP_NOFS);\n}\n",
    }
    repo.commit_on([repo.head], files, "xfs: queued for the next window", ref="refs/heads/for-next")
    options = IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1, refs=("for-next",))
    ingest(engine, options)
    with fresh_client() as client:
        page = client.get("/").text
        assert "The GFP_NOFS migration at for-next (provisional)" in page and "<strong>Provisional:</strong>" in page
        chart = client.get("/charts/trend.vl.json").json()["data"]["values"]
        assert {row["release"] for row in chart} >= {"v2.0", "for-next (provisional)"}
        assert "for-next" not in {row["release"] for row in chart}
        listed = client.get("/api/v1/subsystems").json()
        assert listed["release"] == "for-next" and listed["provisional"] is True
        assert client.get("/api/v1/subsystems?release=v2.0").json()["provisional"] is False
        release = client.get("/api/v1/releases/for-next").json()["release"]
        assert (release["line"], release["provisional"]) == ("ref", True)
        assert "(provisional)" in client.get("/badge/fs/xfs.svg").text
        older = client.get("/?release=v2.0").text
        assert "<strong>Provisional:</strong>" not in older


SAMPLE = {"{name}": "BTRFS%20FILE%20SYSTEM", "{path}": "fs/btrfs/inode.c", "{tag}": "v2.0", "{fmt}": "svg",
          "{target}": "fs/btrfs"}  # fmt: skip
QUERY = {"/compare": "?from=v1.9&to=v2.0", "/compare/occurrences": "?from=v1.9&to=v2.0"}


def _every_get_url() -> list[str]:
    from app.api.server import create_api

    urls = []
    for prefix, application in (("", create_app()), ("/api/v1", create_api())):
        for path, operations in application.openapi()["paths"].items():
            if "get" in operations:
                url = path
                for placeholder, value in SAMPLE.items():
                    url = url.replace(placeholder, value)
                urls.append(prefix + url + QUERY.get(path, ""))
    return [*urls, "/static/app.css", "/api/v1/openapi.json"]


def test_head_answers_wherever_get_does(client: TestClient) -> None:
    urls = _every_get_url()
    assert len(urls) > 30
    for url in urls:
        got, head = client.get(url), client.head(url)
        assert got.status_code == 200, url
        assert head.status_code == 200 and head.content == b"", url
        for header in ("content-type", "etag", "content-length"):
            assert head.headers.get(header) == got.headers.get(header), (url, header)


def test_source_links_follow_the_release_line(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    stable = client.get("/tree/drivers/md/raid1.c?release=v1.10.1&metric=scoped").text
    assert "git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git/tree/drivers/md/raid1.c?h=v1.10.1#n3" in stable
    assert "torvalds/linux.git/tree/drivers/md/raid1.c?h=v1.10.1" not in stable
    assert "https://elixir.bootlin.com/linux/v1.10.1/source/drivers/md/raid1.c#L3" in stable
    monkeypatch.setenv("NOFS_SOURCE_URL", "https://example.invalid/{tag}/{path}#{line}")
    with fresh_client() as configured:
        page = configured.get("/tree/drivers/md/raid1.c?release=v1.10.1&metric=scoped").text
    assert '<a href="https://example.invalid/v1.10.1/drivers/md/raid1.c#3">source</a>' in page
    assert "elixir" not in page.split(">Every tracked occurrence")[1].split("</table>")[0]


def test_every_rule_text_is_the_lexers_rule(client: TestClient) -> None:
    from app.registry import KIND_RULES, Kind

    about = client.get("/about").text
    assert all(rule.replace('"', "&#34;").replace("'", "&#39;") in about for rule in KIND_RULES.values())
    code_rule = KIND_RULES[Kind.CODE]
    assert "body of a #define" in code_rule  # what ingest/count.py does: only the macro's name is a definition
    assert code_rule in client.get("/api/v1/subsystems").json()["count_rule"]
    assert code_rule in " ".join(client.get("/charts/trend.vl.json").json()["title"]["subtitle"])
    for url in ("/", "/about", "/api/v1/subsystems", "/charts/trend.vl.json"):
        assert "#defines excluded" not in client.get(url).text


def test_a_comparison_summarises_occurrences_per_file_and_shows_one_file_on_request(client: TestClient) -> None:
    every = client.get("/api/v1/compare/occurrences?from=v1.9&to=v2.1&metric=legacy&limit=1000").json()["items"]
    expected = {}
    for item in every:
        added, removed = expected.get(item["path"], (0, 0))
        expected[item["path"]] = (added + (item["change"] == "added"), removed + (item["change"] == "removed"))
    page = client.get("/compare?from=v1.9&to=v2.1&metric=legacy").text
    summary = page.split('id="occurrence-files"')[1].split("</table>")[0]
    shown = {
        path: (int(added), int(removed))
        for path, added, removed in re.findall(
            r'<th scope="row"><a href="/tree/([^"?]+)[^"]*">[^<]+</a></th><td class="num">(\d+)</td>'
            r'<td class="num">(\d+)</td>',
            summary,
        )
    }
    assert shown == expected and len(shown) > 3
    assert 'id="file-occurrences"' not in page  # no file's lines until one is asked for
    one = client.get("/compare?from=v1.9&to=v2.1&metric=legacy&file=drivers/md/raid1.c").text
    lines = one.split('id="file-occurrences"')[1].split("</table>")[0]
    assert lines.count('class="removed"') == expected["drivers/md/raid1.c"][1] == 2


def test_the_per_file_summary_comes_in_pages(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.web import page_contexts

    monkeypatch.setattr(page_contexts, "SUMMARY_PAGE", 2)
    first = client.get("/compare?from=v1.9&to=v2.1&metric=legacy&count=all").text
    pages_count = int(re.search(r"page 1 of (\d+)", first).group(1))  # type: ignore[union-attr]
    listed = []
    for number in range(1, pages_count + 1):
        page = client.get(f"/compare?from=v1.9&to=v2.1&metric=legacy&count=all&page={number}").text
        summary = page.split('id="occurrence-files"')[1].split("</table>")[0]
        listed += re.findall(r'<th scope="row"><a href="/tree/([^"?]+)', summary)
        assert ('rel="next"' in page) == (number < pages_count)
    every = client.get("/api/v1/compare/occurrences?from=v1.9&to=v2.1&metric=legacy&limit=1000").json()["items"]
    assert pages_count > 1 and sorted(listed) == sorted({item["path"] for item in every})


def _page_rows(html: str, prefix: str) -> list[tuple[str, int, int]]:
    """(name, value, change) of a table's rows whose name links under `prefix`, in the page's order."""
    rows = re.findall(r'<th scope="row"><a href="' + prefix + r'([^"?]*)[^"]*">.*?</a></th>(.*?)</tr>', html, re.S)
    found = []
    for name, cells in rows:
        numbers = [int(n) for n in re.findall(r"[+-]?\d+", text_of(cells))]  # "%+d": ASCII signs
        found.append((unquote(name), numbers[0], numbers[1] if len(numbers) > 1 else 0))
    return found


@pytest.mark.parametrize("count", ["uses", "all"])
def test_every_page_lists_what_its_json_twin_answers(client: TestClient, count: str) -> None:
    """The page and its JSON twin come from one query function: the same places, numbers and order."""
    value = "uses" if count == "uses" else "total"
    previous = "previous_" + value
    page = client.get(f"/subsystems?release=v2.0&count={count}").text
    twin = client.get(f"/api/v1/subsystems?release=v2.0&count={count}").json()["items"]
    assert _page_rows(page, "/subsystems/") == [(r["name"], r[value], r["change"]) for r in twin]
    assert all(r["change"] == r[value] - r[previous] for r in twin) and twin
    page = client.get(f"/tree/fs?release=v2.0&count={count}").text
    twin = client.get(f"/api/v1/tree/fs?release=v2.0&count={count}").json()["items"]
    assert [(n, v, c) for n, v, c in _page_rows(page, "/tree/")] == [(r["name"], r[value], r["change"]) for r in twin]
    page = client.get(f"/compare?from=v1.9&to=v2.0&count={count}").text
    twin = client.get(f"/api/v1/compare?from=v1.9&to=v2.0&count={count}").json()
    assert _page_rows(page, "/subsystems/") == [(r["name"], r[value], r["change"]) for r in twin["subsystems"]]
    files = [(f["path"], f["after"], f["change"]) for f in twin["files"]]
    assert _page_rows(page.split("Files whose count moved")[1].split("</table>")[0], "/tree/") == files


def test_a_new_server_warms_up_without_keeping_what_it_read(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_history(tmp_path / "linux")
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1))
    from app.web import page_contexts

    built: list[str] = []
    for name in ("overview", "comparison", "subsystem", "tree"):
        real = getattr(page_contexts, name)
        monkeypatch.setattr(page_contexts, name, lambda *a, real=real, name=name: built.append(name) or real(*a))
    templates.env.cache.clear()
    gc.unfreeze()  # an earlier server in this process may have frozen its objects already
    gc.set_threshold(700, *gc.get_threshold()[1:])  # and raised the threshold
    with fresh_client():
        # the busiest pages were built once and every template is compiled, yet nothing read is kept
        assert built == ["overview", "comparison", "subsystem", "tree", "tree"]
        assert cache._store == {} and gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_OBJECTS
        assert {"release.html", "partials/_who.html"} <= {t.name for t in templates.env.cache.values()}


def test_a_comparison_lists_the_files_that_moved_most_and_says_of_how_many(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.web import page_contexts

    monkeypatch.setattr(page_contexts, "TOP_CHANGES", 2)
    twin = client.get("/api/v1/compare?from=v1.9&to=v2.1&metric=legacy").json()["files"]
    page = client.get("/compare?from=v1.9&to=v2.1&metric=legacy").text
    section = page.split("Files whose count moved")[1].split("</table>")[0]
    assert len(twin) > 2 and section.startswith(f", the 2 that moved most of {len(twin):,}")
    assert _page_rows(section, "/tree/") == [(f["path"], f["after"], f["change"]) for f in twin[:2]]
