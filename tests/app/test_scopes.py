"""Scope findings as readers and bots see them: the release, subsystem, directory and file pages, /api/v1/scopes
(JSON, CSV, errors), the slides' filesystem column and the "not read" state, on a real ingest whose scope rows
are written as `nofs scopes` would write them (tests/scope_history.py)."""

import csv
import html
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.queries import places, releases, scopes
from app.scope_rules import RULE_VERSION, SCOPE_RULE_TEXT
from app.web import response_cache
from ingest.run import IngestOptions, ingest
from tests.kernel_like import WITH_STABLE
from tests.scope_history import BTRFS, RAID1, XFS, XFS_WHY, build_scope_history, store_findings
from tests.web import fresh_client, text_of


@pytest.fixture
def ingested(engine: Engine, tmp_path: Path) -> Engine:
    build_scope_history(tmp_path / "linux")
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1))
    return engine


@pytest.fixture
def client(ingested: Engine) -> Iterator[TestClient]:
    store_findings(ingested)
    with fresh_client() as client:
        yield client


def _section(page: str) -> str:
    words = text_of(html.unescape(page))
    return words[words.index("Redundant in scope") : words.index("How scopes are read")]


def test_the_share_is_over_the_places_own_stored_count(client: TestClient) -> None:
    """Numerator from the findings, denominator the GFP_NOFS uses the pages show for the same place."""
    cases = {
        "": (2, "/api/v1/releases/v2.1"),  # btrfs and xfs; raid1's is a GFP_NOIO
        "&path=fs/xfs": (1, "/api/v1/tree/fs?release=v2.1"),
        "&subsystem=BTRFS%20FILE%20SYSTEM": (1, "/api/v1/subsystems?release=v2.1"),
    }
    tree = {r["name"]: r["uses"] for r in client.get(cases["&path=fs/xfs"][1]).json()["items"]}
    subsystems = {
        r["name"]: r["uses"] for r in client.get(cases["&subsystem=BTRFS%20FILE%20SYSTEM"][1]).json()["items"]
    }
    whole = client.get("/api/v1/releases/v2.1").json()["whole_tree"]["uses"]
    uses = {
        "": whole,
        "&path=fs/xfs": tree["fs/xfs"],
        "&subsystem=BTRFS%20FILE%20SYSTEM": subsystems["BTRFS FILE SYSTEM"],
    }
    assert uses == {"": 5, "&path=fs/xfs": 2, "&subsystem=BTRFS%20FILE%20SYSTEM": 1}
    for query, (redundant, _) in cases.items():
        body = client.get(f"/api/v1/scopes?release=v2.1{query}").json()
        assert body["redundant"]["redundant_nofs"] == redundant
        assert body["redundant"]["nofs_uses"] == uses[query]
        assert body["redundant"]["share"] == pytest.approx(redundant / uses[query])
    # a subsystem's files below a path: its stored per-file counts added up
    both = client.get("/api/v1/scopes?path=fs&subsystem=XFS%20FILESYSTEM").json()["redundant"]
    assert (both["redundant_nofs"], both["nofs_uses"]) == (1, 2)


def test_the_api_lists_findings_with_their_evidence_kinds_and_rule(client: TestClient) -> None:
    body = client.get("/api/v1/scopes").json()
    assert (body["release"], body["read"], body["note"], body["total"]) == ("v2.1", True, None, 6)
    assert [(i["path"], i["line"], i["kind"]) for i in body["items"]] == [
        (RAID1, 4, "redundant"),  # redundant uses first, by path and line; then the scope API's by kind
        (BTRFS, 5, "redundant"),
        (XFS, 14, "redundant"),
        (RAID1, 3, "unpaired_save"),
        (XFS, 3, "opener"),
        (XFS, 9, "closer"),
    ]
    assert body["kinds"] == {
        "redundant": 3,
        "unpaired_save": 1,
        "foreign_restore": 0,
        "wrapper_scope": 0,
        "opener": 1,
        "closer": 1,
    }
    assert body["redundant"] == {
        "name": "in the whole tree",
        "redundant_nofs": 2,
        "redundant_noio": 1,
        "nofs_uses": 5,
        "share": 0.4,
    }
    assert body["redundant_how"] == {"here": 2, "callers": 1}
    assert [(s["name"], s["redundant_nofs"], s["redundant_noio"], s["nofs_uses"]) for s in body["subsystems"]] == [
        ("BTRFS FILE SYSTEM", 1, 0, 1),
        ("THE REST", 0, 1, 2),  # raid1's GFP_NOIO; namei.c and latin1.c hold THE REST's two GFP_NOFS
        ("XFS FILESYSTEM", 1, 0, 2),
    ]
    assert [(h["name"], h["redundant_nofs"], h["nofs_uses"]) for h in body["history"]] == [
        ("v2.0", 0, 4),
        ("v2.1", 2, 5),
    ]  # v1.9 and v1.10 were not read: they are not in the history at all
    xfs = body["items"][2]
    assert (xfs["subsystem"], xfs["how"], xfs["function"]) == ("XFS FILESYSTEM", "callers", "xfs_foo")
    innermost = xfs["evidence"][0]
    assert (innermost["function"], innermost["line"], innermost["why"]) == ("xfs_bar", 20, XFS_WHY)
    assert body["rule"] == SCOPE_RULE_TEXT and "over the code uses of GFP_NOFS" in body["share_rule"]
    assert body["analysis"]["rule"] == body["analysis"]["current_rule"] == RULE_VERSION


def test_kind_path_and_subsystem_filter_and_page(client: TestClient) -> None:
    kind = client.get("/api/v1/scopes?kind=redundant&limit=2").json()
    assert (kind["total"], len(kind["items"]), kind["kind"]) == (3, 2, "redundant")
    assert kind["next"] and "offset=2" in kind["next"] and kind["kinds"]["opener"] == 1  # the summary stays whole
    xfs = client.get("/api/v1/scopes?subsystem=XFS%20FILESYSTEM").json()
    assert [i["kind"] for i in xfs["items"]] == ["redundant", "opener", "closer"] and xfs["subsystems"] == []
    assert client.get("/api/v1/scopes?path=fs/btrfs/inode.c").json()["total"] == 1
    assert client.get("/api/v1/scopes?path=drivers&kind=unpaired_save").json()["items"][0]["line"] == 3


def test_the_csv_has_a_row_per_finding_and_its_evidence_as_json(client: TestClient) -> None:
    answer = client.get("/api/v1/scopes?kind=redundant&format=csv")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["path"], r["line"], r["identifier"], r["how"]) for r in rows] == [
        (RAID1, "4", "GFP_NOIO", "here"),
        (BTRFS, "5", "GFP_NOFS", "here"),
        (XFS, "14", "GFP_NOFS", "callers"),
    ]
    chain = json.loads(rows[-1]["evidence"])
    assert [step["function"] for step in chain] == ["xfs_bar", "xfs_trans_alloc"]
    assert client.get("/api/v1/scopes?kind=redundant", headers={"Accept": "text/csv"}).text == answer.text


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ("release=v9.9", 404, "not_found"),
        ("path=fs/nowhere", 404, "not_found"),
        ("subsystem=NO%20SUCH", 404, "not_found"),
        ("kind=bogus", 422, "invalid"),
        ("limit=0", 422, "invalid"),
        ("format=xml", 422, "invalid"),
    ],
)
def test_unknown_places_and_kinds_are_json_errors(client: TestClient, query: str, status: int, error: str) -> None:
    answer = client.get(f"/api/v1/scopes?{query}")
    assert answer.status_code == status and answer.json()["error"] == error and answer.json()["detail"]


def test_a_release_not_read_says_so_everywhere(client: TestClient) -> None:
    body = client.get("/api/v1/scopes?release=v1.10").json()
    assert (body["read"], body["analysis"], body["redundant"], body["kinds"], body["items"]) == (
        False,
        None,
        None,
        None,
        [],
    )
    assert body["note"] == "v1.10: not read yet (run `nofs scopes`)"
    for url in ("/releases/v1.10", "/subsystems/BTRFS%20FILE%20SYSTEM?release=v1.10", "/tree/fs?release=v1.10"):
        section = _section(client.get(url).text)
        assert "Scopes at v1.10: not read yet (run nofs scopes )" in section, url
        assert "redundant share" not in section and "0 of the" not in section, url
    # the first release's page has no comparison, but the scope section all the same
    assert "Scopes at v1.9: not read yet" in _section(client.get("/releases/v1.9").text)


def test_the_release_page_shows_counts_share_subsystems_history_and_chains(client: TestClient) -> None:
    page = client.get("/releases/v2.1")
    section = _section(page.text)
    assert (
        "2 of the 5 code uses of GFP_NOFS in the whole tree at v2.1 are redundant in scope (redundant share 40.0 %)"
        in (section)
    )
    assert "GFP_NOIO: 1 redundant" in section
    assert "Of the 3 redundant, 2 have the scope open in their own function and 1 is in a function only" in section
    assert "redundant in scope 3 · save without a restore 1 · restore of a value no save produced 0" in section
    assert "BTRFS FILE SYSTEM 1 1 100.0 % 0" in section and "XFS FILESYSTEM 1 2 50.0 % 0" in section
    assert "v2.1 2 5 40.0 % 1 v2.0 0 4 0.0 % 0" in section  # newest first; unread releases left out
    assert XFS_WHY in section and "fs/xfs/xfs_trans.c:20 in xfs_bar()" in section
    assert f'href="/tree/{XFS}?release=v2.1#L20"' in page.text  # each step links to its line
    assert 'href="/api/v1/scopes?release=v2.1"' in page.text
    assert SCOPE_RULE_TEXT in html.unescape(page.text)


def test_the_subsystem_and_directory_pages_keep_to_their_place(client: TestClient) -> None:
    section = _section(client.get("/subsystems/XFS%20FILESYSTEM").text)
    assert (
        "1 of the 2 code uses of GFP_NOFS in XFS FILESYSTEM at v2.1 is redundant in scope (redundant share 50.0 %)"
        in (section)
    )
    assert "scope opener memalloc_nofs_save" in section and BTRFS not in section and "By subsystem" not in section
    assert "In XFS FILESYSTEM, at each release read" in section
    page = client.get("/tree/drivers")
    section = _section(page.text)
    assert "0 of the 0 code uses of GFP_NOFS in /drivers" in section and "(redundant share —)" in section
    assert "GFP_NOIO: 1 redundant" in section and "save without a restore memalloc_noio_save" in section
    assert 'href="/api/v1/scopes?release=v2.1&amp;path=drivers"' in page.text


def test_the_file_page_marks_the_lines_of_its_findings(client: TestClient) -> None:
    page = client.get(f"/tree/{XFS}").text
    rows = {}
    for row in page.split('<table class="occurrences">', 1)[1].split("</table>", 1)[0].split("<tr")[2:]:
        cells = text_of(html.unescape("<tr" + row)).split()
        rows[(int(cells[0]), cells[1])] = " ".join(cells)
    assert "redundant in scope every caller in scope why: 2 steps" in rows[(14, "GFP_NOFS")]
    assert XFS_WHY in rows[(14, "GFP_NOFS")]
    assert "scope opener" in rows[(3, "memalloc_nofs_save")] and "scope closer" in rows[(9, "memalloc_nofs_restore")]
    assert 'id="L14"' in page and 'class="kind-code scope-marked" id="L14"' in page
    btrfs = client.get(f"/tree/{BTRFS}").text
    assert btrfs.count('class="badge scope redundant"') == 2  # on the line, and in the list below it
    assert "scope-marked" not in client.get(f"/tree/{BTRFS}?release=v2.0").text  # v2.0 was read: nothing there


def test_the_slides_column_comes_from_the_releases_findings(client: TestClient) -> None:
    def column(query: str) -> list[tuple[str, str]]:
        body = client.get(f"/slides{query}").text.split('<table class="numbers filesystems">', 1)[1]
        body = body.split("</table>", 1)[0]
        rows = ["<tr" + r for r in body.split("<tr")[2:]]
        return [
            (
                text_of(r.split("</th>")[0]).strip(),
                text_of(r.split('class="num redundant">')[1].split("</td>")[0]).strip(),
            )
            for r in rows
        ]

    assert column("") == [
        ("fs/xfs", "1"),
        ("fs/btrfs", "1"),
        ("fs/ext4", "0"),
        ("fs/*.c, *.h (the VFS)", "0"),
        ("all of fs/", "2"),
    ]
    assert {value for _, value in column("?release=v2.0")} == {"0"}  # read, and nothing redundant
    unread = client.get("/slides?release=v1.10").text
    assert {value for _, value in column("?release=v1.10")} == {"— *"}
    assert "scopes not read at v1.10 (run nofs scopes)" in text_of(unread)
    assert "only a use of GFP_NOFS or GFP_NOIO can be redundant" in text_of(client.get("/slides?metric=scoped").text)
    twin = client.get("/api/v1/filesystems").json()
    assert twin["redundant_in_scope"] == {"fs/btrfs": 1, "fs/xfs": 1}
    assert client.get("/api/v1/filesystems?release=v1.10").json()["redundant_in_scope"] is None
    assert client.get("/api/v1/filesystems?metric=GFP_NOIO").json()["redundant_in_scope"] == {}


def test_an_outdated_reading_says_it_will_be_read_again(ingested: Engine) -> None:
    store_findings(ingested, rule=RULE_VERSION - 1)
    with fresh_client() as client:
        section = _section(client.get("/releases/v2.1").text)
        assert f"older than this dashboard's rule {RULE_VERSION}: the next nofs scopes reads v2.1 again" in section
        assert client.get("/api/v1/scopes").json()["analysis"]["rule"] == RULE_VERSION - 1


def test_storing_a_reading_changes_the_data_version(ingested: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """`nofs scopes` stores no release: the cached answers, whole responses and ETags must follow it all the same."""
    monkeypatch.setattr(response_cache, "VERSION_TTL", 0.0)  # the response cache asks the version on every request
    with fresh_client() as client:
        before = client.get("/api/v1/scopes")
        assert before.json()["read"] is False and "not read yet" in _section(client.get("/releases/v2.1").text)
        store_findings(ingested)
        after = client.get("/api/v1/scopes", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.json()["read"] is True
        assert "2 of the 5 code uses" in _section(client.get("/releases/v2.1").text)


def test_the_query_functions_are_what_the_pages_and_the_api_show(client: TestClient, ingested: Engine) -> None:
    with Session(ingested) as session:
        release = releases.release_ref(session, "v2.1")
        summary = scopes.summary(session, release, places.Where("fs"))
        assert (summary.redundant.nofs, summary.redundant.nofs_uses, summary.of_kind(scopes.Finding.OPENER)) == (
            2,
            5,
            1,
        )
        assert scopes.by_filesystem(session, release, ("GFP_NOFS", "GFP_NOIO")) == {"fs/btrfs": 1, "fs/xfs": 1}
        assert scopes.by_filesystem(session, releases.release_ref(session, "v1.10"), ("GFP_NOFS",)) is None
        points = scopes.series(session, releases.upto(session, release), places.Where(subsystem="BTRFS FILE SYSTEM"))
        assert [(p.release.tag, p.redundant.nofs, p.redundant.nofs_uses) for p in points] == [
            ("v2.0", 0, 1),
            ("v2.1", 1, 1),
        ]
