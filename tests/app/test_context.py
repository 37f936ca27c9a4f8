"""The occurrence context on the read side: the breakdown by callee, role and flag, on the pages, in the API
and their agreement, on a kernel-like history whose v2.1 holds GFP_NOFS in known roles (XFS_CONTEXT)."""

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.context_rules import CONTEXT_RULE_TEXT, NOFAIL
from app.metrics import METRICS
from app.queries import context, counts, releases
from app.queries.places import Where
from ingest.run import IngestOptions, ingest
from tests.kernel_like import FS_XFS, WITH_STABLE, XFS_CONTEXT_PATH, build_context_history
from tests.web import fresh_client, text_of

NOFS = METRICS["GFP_NOFS"]


# fs/xfs at v2.1: XFS_CONTEXT, and xfs_buf.c's kmalloc(1, GFP_NOFS | __GFP_NOFAIL) since v2.0
@pytest.fixture
def history(engine: Engine, tmp_path: Path) -> Path:
    build_context_history(tmp_path / "linux")
    ingest(engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1))
    return tmp_path / "linux"


@pytest.fixture
def client(history: Path) -> Iterator[TestClient]:
    with fresh_client() as client:
        yield client


def rows(found: context.ContextBreakdown) -> list[tuple[str, str | None, int, int]]:
    return [(c.role, c.callee, c.uses, c.with_flag(NOFAIL)) for c in found.callees]


def test_a_directory_by_callee_role_and_flag(engine: Engine, history: Path) -> None:
    with Session(engine) as session:
        v2_1 = releases.release_ref(session, "v2.1")
        xfs = context.context_breakdown(session, v2_1, NOFS, Where("fs/xfs"))
        assert rows(xfs) == FS_XFS
        assert xfs.flags == (("__GFP_NOFAIL", 3), ("__GFP_NOWARN", 1)) and xfs.with_flag(NOFAIL) == 3
        assert xfs.roles == (("argument", 6), ("policy", 2), ("mask", 1)) and xfs.unclassified == 0
        # every code occurrence has its context: the breakdown adds up to the uses the counts hold, everywhere
        for release in releases.releases(session):
            for path in ("", "fs", "fs/xfs", "fs/btrfs/inode.c", "drivers"):
                found = context.context_breakdown(session, release, NOFS, Where(path or None))
                assert found.uses == counts.place_counts(session, release, path, NOFS).uses
        one_file = context.context_breakdown(session, v2_1, NOFS, Where("fs/xfs/xfs_buf.c"))
        assert rows(one_file) == [("argument", "kmalloc", 1, 1)]
        btrfs = context.context_breakdown(session, v2_1, NOFS, Where(subsystem="BTRFS FILE SYSTEM"))
        assert rows(btrfs) == [("argument", "kmalloc", 1, 0)]
        nofail = context.context_breakdown(session, v2_1, NOFS, flag=NOFAIL)
        assert rows(nofail) == [("argument", "kmalloc", 2, 2), ("argument", "mempool_alloc", 1, 1)]
        kmalloc = context.context_breakdown(session, v2_1, NOFS, callee="kmalloc")
        assert kmalloc.uses == 4 and kmalloc.flags == (("__GFP_NOFAIL", 2),)  # btrfs, xfs_buf, xfs_ctx twice
        fs_flag = context.context_breakdown(session, v2_1, METRICS["__GFP_FS"], Where("fs"))
        assert rows(fs_flag) == [("mask", None, 1, 0)] and fs_flag.negated == 1  # gfp &= ~__GFP_FS


def test_the_file_page_shows_each_occurrences_context_and_filters_it(client: TestClient) -> None:
    page = client.get(f"/tree/{XFS_CONTEXT_PATH}")
    words = html.unescape(text_of(page.text)).replace(" ,", ",")  # a tag ends before the comma
    assert "3 GFP_NOFS code xfs_ctx argument 2 of kmalloc with __GFP_NOFAIL void *p" in words
    assert "8 GFP_NOFS code xfs_ctx policy, argument 2 of mapping_set_gfp_mask mapping_set" in words
    assert "9 GFP_NOFS code xfs_ctx policy b->gfp = GFP_NOFS;" in words
    assert "10 GFP_NOFS code xfs_ctx mask if (gfp" in words
    assert "11 __GFP_FS code xfs_ctx mask, negated gfp &= ~__GFP_FS;" in words
    assert CONTEXT_RULE_TEXT in html.unescape(page.text) and CONTEXT_RULE_TEXT in html.unescape(
        client.get("/about").text
    )

    def lines(query: str) -> list[int]:
        table = client.get(f"/tree/{XFS_CONTEXT_PATH}{query}").text.split('class="occurrences"')[1]
        return [int(n) for n in re.findall(r'<tr class="kind-\w+[^"]*"[^>]*>\s*<td class="num">(\d+)</td>', table)]

    assert lines("") == list(range(3, 12))
    assert lines(f"?flag={NOFAIL}") == [3, 6]
    assert lines("?callee=kmalloc") == [3, 7]
    assert lines(f"?callee=kmalloc&flag={NOFAIL}") == [3]
    assert lines("?callee=-%3Ealloc") == []  # a member call, quoted: nothing here, and no error
    api = client.get(f"/api/v1/files/{XFS_CONTEXT_PATH}/occurrences?flag={NOFAIL}").json()["items"]
    assert [(o["line"], o["role"], o["callee"], o["argument"], o["flags"], o["negated"]) for o in api] == [
        (3, "argument", "kmalloc", 1, NOFAIL, False),
        (6, "argument", "mempool_alloc", 1, NOFAIL, False),
    ]


def _page_callees(html: str) -> list[tuple[str | None, str, int, int]]:
    """(callee, role, uses, with __GFP_NOFAIL) of the context table's rows, in the page's order."""
    table = html.split('class="numbers callees"')[1].split("</table>")[0]
    found = []
    for cells in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        callee, role, uses, nofail, _flags = (
            text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        )
        found.append((None if callee == "—" else callee, role, int(uses), int(nofail)))
    return found


@pytest.mark.parametrize(
    ("page", "twin"),
    [
        ("/tree/fs/xfs?release=v2.1", "/api/v1/context?path=fs/xfs&release=v2.1"),
        ("/tree?release=v2.1&flag=__GFP_NOFAIL", "/api/v1/context?release=v2.1&flag=__GFP_NOFAIL"),
        ("/subsystems/THE%20REST?release=v2.1", "/api/v1/context?subsystem=THE%20REST&release=v2.1"),
        ("/releases/v2.1", "/api/v1/context?release=v2.1"),
        ("/releases/v1.9?metric=GFP_NOIO", "/api/v1/context?release=v1.9&metric=GFP_NOIO"),
        (f"/tree/{XFS_CONTEXT_PATH}?callee=kmalloc", f"/api/v1/context?path={XFS_CONTEXT_PATH}&callee=kmalloc"),
    ],
)
def test_each_pages_context_table_is_its_json_twin(client: TestClient, page: str, twin: str) -> None:
    html = client.get(page).text
    body = client.get(twin).json()
    assert _page_callees(html) == [(c["callee"], c["role"], c["uses"], c["with_nofail"]) for c in body["items"]]
    assert body["items"] and body["rule"] == CONTEXT_RULE_TEXT and "code occurrences only" in body["count_rule"]
    words = text_of(html)
    assert f"{body['uses']} code occurrence" in words and f"with {NOFAIL}: {body['with_nofail']}" in words
    kept = [f"an argument of {body['callee']}"] if body["callee"] else []
    kept += [f"combined with {body['flag']}"] if body["flag"] else []
    assert (f", only those {' and '.join(kept)}." in words) == bool(kept)
    link = re.search(r'<a href="(/api/v1/context[^"]*)">JSON</a>', html)
    assert link and client.get(link.group(1).replace("&amp;", "&")).json() == body  # the page links its twin


def test_the_api_filters_scopes_and_refuses(client: TestClient) -> None:
    xfs = client.get("/api/v1/context?path=fs/xfs&release=v2.1").json()
    assert [(c["role"], c["callee"], c["uses"], c["with_nofail"]) for c in xfs["items"]] == FS_XFS
    assert xfs["flags"] == [{"flag": NOFAIL, "uses": 3}, {"flag": "__GFP_NOWARN", "uses": 1}]
    assert xfs["items"][0]["flags"] == f"{NOFAIL}:2" and xfs["path"] == "fs/xfs" and xfs["subsystem"] is None
    assert "mapping_set_gfp_mask" in next(r["rule"] for r in xfs["roles"] if r["role"] == "policy")
    as_csv = list(csv.DictReader(io.StringIO(client.get("/api/v1/context?path=fs/xfs&release=v2.1&format=csv").text)))
    assert [(r["callee"], int(r["uses"])) for r in as_csv] == [(c["callee"] or "", c["uses"]) for c in xfs["items"]]
    both = client.get("/api/v1/context?path=fs&subsystem=THE%20REST&release=v2.1").json()  # its files below fs/
    in_fs = client.get("/api/v1/releases/v2.1").json()["in_fs"]["uses"]
    btrfs = client.get("/api/v1/subsystems?release=v2.1").json()["items"]
    owned = {r["name"]: r["uses"] for r in btrfs}
    assert set(owned) == {"BTRFS FILE SYSTEM", "THE REST"}  # fs/ holds no other subsystem's files here
    assert (both["uses"], both["path"], both["subsystem"]) == (in_fs - owned["BTRFS FILE SYSTEM"], "fs", "THE REST")
    assert client.get("/api/v1/context?flag=not%20a%20flag").status_code == 422
    assert client.get("/api/v1/context?path=no/such/dir").json()["error"] == "not_found"
    assert client.get("/api/v1/context?subsystem=NO%20SUCH").status_code == 404
    earlier = client.get("/api/v1/context?release=v1.9&metric=GFP_NOIO").json()
    assert [(c["callee"], c["uses"]) for c in earlier["items"]] == [("kmalloc", 2), ("g", 1)]
