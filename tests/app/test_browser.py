"""The dashboard in headless Chromium: charts draw, the table filters, links lead where they say.

Screenshots land in test-artifacts/ for a person to look at.
"""

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from app.db import make_engine
from tests.kernel_like import (
    WIDE_MAINLINE,
    WIDE_STABLE,
    XFS_CONTEXT_PATH,
    build_context_history,
    build_many_filesystems,
    build_wide_history,
)
from tests.web import ingested_sqlite, live_server

CHROMIUM = os.environ.get("NOFS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@contextmanager
def _served(root: Path, build: Callable[[Path], object] | None = None) -> Iterator[str]:
    with ingested_sqlite(root, build), live_server() as url:
        yield url


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _served(tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="module")
def wide_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _served(tmp_path_factory.mktemp("wide"), build_wide_history) as url:
        yield url


# The live servers of one module share DATABASE_URL, the newest fixture's: tests on base_url come first in this
# file, then those on many_url, then those on wide_url.
@pytest.fixture(scope="module")
def many_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _served(tmp_path_factory.mktemp("many"), build_many_filesystems) as url:
        yield url


@pytest.fixture(scope="module")
def context_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _served(tmp_path_factory.mktemp("context"), build_context_history) as url:
        yield url


@pytest.fixture(scope="module")
def scopes_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.scope_history import build_scope_history, store_findings

    with ingested_sqlite(tmp_path_factory.mktemp("scopes"), build_scope_history) as db, live_server() as url:
        engine = make_engine(db)
        store_findings(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_overview_chart_draws_its_points(base_url: str, page: Page) -> None:
    errors: list[str] = []  # a script the Content-Security-Policy blocked would show here
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + "/")
    symbols = page.locator(".vega svg .mark-symbol path")
    expect(symbols.first).to_be_visible()
    # five series over four releases, and the projection's end points when there is one
    assert symbols.count() >= 5 * 4
    expect(page.locator("h1")).to_contain_text("at v2.0")
    shot(page, "overview")
    assert errors == []


def test_filter_then_click_through_subsystem_directory_and_file(base_url: str, page: Page) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Filter subsystems").fill("btrfs")
    rows = page.locator("#subsystem-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("BTRFS FILE SYSTEM")
    shot(page, "overview-filtered")
    rows.first.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("BTRFS FILE SYSTEM")
    expect(page.locator("dl.facts")).to_contain_text("David Sterba")
    shot(page, "subsystem")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tree").click()
    page.get_by_role("link", name="fs/", exact=True).click()
    page.get_by_role("link", name="btrfs/", exact=True).click()
    expect(page.locator("h1")).to_contain_text("/fs/btrfs")
    shot(page, "directory")
    page.get_by_role("link", name="inode.c", exact=True).click()
    expect(page.locator("h1")).to_have_text("fs/btrfs/inode.c")
    expect(page.locator("table.occurrences tbody tr")).to_have_count(4)  # 1 use, 1 comment, save, restore
    expect(page.locator(".vega svg .mark-symbol path").first).to_be_visible()
    shot(page, "file")


def test_switching_the_metric_changes_the_page(base_url: str, page: Page) -> None:
    page.goto(base_url + "/tree")
    page.get_by_label("Metric").select_option("GFP_NOIO")
    page.wait_for_url("**metric=GFP_NOIO**")
    expect(page.locator("table.numbers thead").first).to_contain_text("GFP_NOIO (uses)")
    expect(page.locator("table.numbers tbody").first).to_contain_text("mm/")  # its last GFP_NOIO went in v2.0
    shot(page, "metric-noio")


def test_slides_move_with_the_arrow_keys(base_url: str, page: Page) -> None:
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(base_url + "/slides")
    expect(page.locator("#slide-2 img.chart")).to_be_visible()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#slide-2').getBoundingClientRect().top < 5")
    shot(page, "slides")


def test_from_a_file_to_its_commit_and_the_release_pull(base_url: str, page: Page) -> None:
    page.goto(base_url + "/tree/fs/btrfs/inode.c")
    commits = page.locator("#commits + table.commits tbody tr")
    expect(commits).to_have_count(2)
    expect(commits.first).to_contain_text("btrfs: convert one more")
    link = commits.last.locator("a[href^='https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git/commit/']")
    expect(link).to_have_count(1)
    expect(commits.last.get_by_role("link", name="[link]").first).to_have_attribute(
        "href", "https://lore.kernel.org/r/btrfs-scope-1"
    )
    shot(page, "file-commits")
    commits.first.get_by_role("link", name="v1.10").click()
    expect(page.locator("h1")).to_have_text("v1.10 against v1.9")
    section = page.locator("#commits ~ section.columns").first
    expect(section.locator("table").nth(2)).to_contain_text("Merge tag 'btrfs-for-1.10'")
    expect(page.locator("#commits ~ p.summary").first).to_contain_text("exactly the change above")
    page.locator("#commits").scroll_into_view_if_needed()
    shot(page, "release-commits")


def test_the_converters_slide(base_url: str, page: Page) -> None:
    page.goto(base_url + "/slides?release=v1.10")
    slide = page.locator("#slide-6")
    slide.scroll_into_view_if_needed()
    expect(slide).to_contain_text("Alice Btrfs")
    expect(slide.locator("table").nth(1)).to_contain_text("Merge tag 'btrfs-for-1.10'")
    slide.screenshot(path=str(ARTIFACTS / "slide-converters.png"))


SLIDE = (1600, 900)  # px: the deck's design size, a 16:9 projector


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's width and height in points, from its MediaBox (Chromium writes no object streams)."""
    pages = re.findall(rb"/Type\s*/Page\b", pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert len(boxes) == len(pages)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


def test_the_deck_prints_one_slide_a_16_9_page(many_url: str, page: Page) -> None:
    page.set_viewport_size({"width": SLIDE[0], "height": SLIDE[1]})
    page.goto(many_url + "/slides")
    slides = page.locator("section.slide").count()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "slides.pdf").write_bytes(pdf)
    pages = _pdf_pages(pdf)
    assert slides == 6 and len(pages) == slides
    assert all(abs(width / height - 16 / 9) < 0.005 for width, height in pages), pages


@pytest.mark.parametrize(("media", "width", "height"), [("screen", *SLIDE), ("print", *SLIDE), ("screen", 1366, 768)])
def test_nothing_runs_off_a_slide(many_url: str, page: Page, media: str, width: int, height: int) -> None:
    """The busiest deck (a long filesystem table, a long subject, a code pair cut short) fits every slide."""
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(media=media)  # type: ignore[arg-type]
    page.goto(many_url + "/slides")
    sizes = page.locator("section.slide").evaluate_all(
        "slides => slides.map(s => [s.id, s.scrollWidth <= s.clientWidth && s.scrollHeight <= s.clientHeight])"
    )
    assert sizes and all(fits for _, fits in sizes), sizes
    if media == "screen" and width == SLIDE[0]:
        for index in range(len(sizes)):
            slide = page.locator("section.slide").nth(index)
            slide.scroll_into_view_if_needed()
            slide.screenshot(path=str(ARTIFACTS / f"slide-{index + 1}.png"))


def test_the_downloaded_deck_works_offline(many_url: str, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": SLIDE[0], "height": SLIDE[1]})
    answer = context.request.get(many_url + "/slides.html")
    assert answer.ok and answer.headers["content-disposition"] == 'attachment; filename="nofs-slides-v4.6.html"'
    deck = tmp_path / "deck.html"
    deck.write_bytes(answer.body())
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    context.route(re.compile(r"^(?!file:|data:)"), lambda route: route.abort())  # no network, and we would see it
    context.set_offline(True)
    page = context.new_page()
    page.goto(deck.as_uri())
    assert page.locator("section.slide").count() == 6
    charts = page.locator("img.chart")
    assert charts.count() == 2
    assert all(charts.nth(i).evaluate("img => img.complete && img.naturalWidth > 1000") for i in range(2))
    assert all(url.startswith(("file:", "data:")) for url in asked), asked
    page.keyboard.press("ArrowRight")  # the inlined script moves it too
    page.wait_for_function("document.querySelector('#slide-2').getBoundingClientRect().top < 5")
    shot = page.screenshot()
    assert len(shot) > 20_000  # a drawn chart, not a blank page
    pages = _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True))
    assert len(pages) == 6
    context.close()


MAX_PAGE_HEIGHT = 8000  # px
LAPTOP_WIDTH = 1280  # px: long kernel paths and the rule under a chart must fit a laptop's page

WIDE_PAGES = {
    "wide-overview": "/",
    "wide-stable-overview": "/?release=v3.50.30",
    "wide-releases": "/releases",
    "wide-file": "/tree/fs/ext4/f3.c",
    "wide-stable-file": "/tree/fs/ext4/stable.c?release=v3.50.30",
    "wide-subsystem": "/subsystems/EXT4%20FILE%20SYSTEM",
    "wide-release": "/releases/v3.104",
    "wide-compare": "/compare?from=v3.0&to=v3.104",
    "wide-slides": "/slides",
}


@pytest.mark.parametrize("name", WIDE_PAGES)
def test_no_page_is_wider_than_the_viewport_at_a_hundred_releases(wide_url: str, page: Page, name: str) -> None:
    page.set_viewport_size({"width": LAPTOP_WIDTH, "height": 900})
    page.goto(wide_url + WIDE_PAGES[name])
    if page.locator(".vega").count():
        expect(page.locator(".vega svg").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
    # a comparison across a hundred releases summarises per file and pages; nothing runs to 68,000 px
    assert page.evaluate("document.documentElement.scrollHeight") < MAX_PAGE_HEIGHT
    shot(page, name)


def test_the_release_selector_is_grouped_by_line(wide_url: str, page: Page) -> None:
    page.goto(wide_url + "/")
    groups = page.locator("select[name=release] optgroup")
    assert groups.evaluate_all("gs => gs.map(g => [g.label, g.children.length])") == [
        ["Mainline", WIDE_MAINLINE],
        ["v3.50 stable", WIDE_STABLE],
    ]
    page.locator("select[name=release]").select_option("v3.50.30")
    page.wait_for_url("**release=v3.50.30**")
    expect(page.locator(".vega svg .role-axis-label text").first).to_be_visible()  # vega draws after the load
    tags = [t for t in page.locator(".vega svg .role-axis-label text").all_text_contents() if t.startswith("v")]
    assert tags[0] == "v3.50" and tags[-1] == "v3.50.30" and not any(t.startswith("v3.51") for t in tags)
    expect(page.locator("figure.chart figcaption")).to_contain_text("the v3.50 stable series")


def test_axis_labels_are_thinned_and_keep_the_newest(wide_url: str, page: Page) -> None:
    page.goto(wide_url + "/")
    expect(page.locator(".vega svg .role-axis-label text").first).to_be_visible()
    labels = page.locator(".vega svg .role-axis-label text").all_text_contents()
    tags = [t for t in labels if t.startswith("v3.")]
    assert 10 <= len(tags) <= 24 and tags[-1] == f"v3.{WIDE_MAINLINE - 1}"


def test_the_context_tables_fit_and_their_links_filter(context_url: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    for name, path in (("context-directory", "/tree/fs/xfs"), ("context-file", f"/tree/{XFS_CONTEXT_PATH}")):
        page.goto(context_url + path)
        expect(page.locator("table.callees tbody tr").first).to_contain_text("kmalloc")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        shot(page, name)
    page.locator("table.callees").get_by_role("link", name="mempool_alloc").click()
    page.wait_for_url("**callee=mempool_alloc**")
    expect(page.locator("table.occurrences tbody tr")).to_have_count(1)
    expect(page.locator("table.occurrences tbody tr")).to_contain_text("argument 2 of mempool_alloc with __GFP_NOFAIL")


def test_scope_findings_open_their_chain_and_fit(scopes_url: str, page: Page) -> None:
    from tests.scope_history import XFS, XFS_WHY

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(scopes_url + "/releases/v2.1#scopes")
    section = page.locator("section.scopes")
    expect(section.locator("p.summary")).to_contain_text("redundant share 40.0 %")
    chain = section.locator("table.scope-findings tr.finding-redundant details.evidence").last
    expect(chain.locator("li").first).not_to_be_visible()  # folded until asked
    chain.locator("summary").click()
    expect(chain.locator("li").first).to_contain_text(XFS_WHY)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    section.screenshot(path=str(ARTIFACTS / "scopes-release.png"))
    page.goto(scopes_url + "/subsystems/XFS%20FILESYSTEM#scopes")
    expect(page.locator("section.scopes p.summary")).to_contain_text("1 of the 2 code uses of GFP_NOFS")
    shot(page, "scopes-subsystem")
    page.goto(scopes_url + f"/tree/{XFS}")
    marked = page.locator("tr#L14")
    expect(marked.locator(".badge.scope.redundant")).to_have_text("redundant in scope")
    marked.locator("details.evidence summary").click()
    expect(marked.locator("details.evidence li").nth(1)).to_contain_text("an opener")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page, "scopes-file")
    page.goto(scopes_url + "/releases/v1.10#scopes")
    expect(page.locator("section.scopes p.notread")).to_contain_text("Scopes at v1.10: not read yet")
    page.locator("section.scopes").screenshot(path=str(ARTIFACTS / "scopes-not-read.png"))
    page.set_viewport_size({"width": SLIDE[0], "height": SLIDE[1]})
    for name, query in (("scopes-slide", ""), ("scopes-slide-not-read", "?release=v1.10")):
        page.goto(scopes_url + "/slides" + query)
        slide = page.locator("#slide-4")
        slide.scroll_into_view_if_needed()
        assert slide.evaluate("s => s.scrollWidth <= s.clientWidth && s.scrollHeight <= s.clientHeight")
        slide.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    expect(page.locator("#slide-4 td.redundant").first).to_have_text("—*")
