"""The JSON API's contract: shapes, numbers against git grep and the database, CSV, ETag/304, errors, fuzzing."""

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from app.api.server import create_api
from app.db import get_engine
from app.settings import get_settings
from tests.kernel_like import git_grep
from tests.web import fresh_client, ingested_sqlite

ATOM = "{http://www.w3.org/2005/Atom}"


def test_releases_page_through_in_order(client: TestClient) -> None:
    first = client.get("/api/v1/releases?limit=3").json()
    assert [r["tag"] for r in first["items"]] == ["v1.9", "v1.10", "v1.10.1"] and first["total"] == 4
    assert set(first["items"][0]) == {"tag", "commit", "commit_date", "line", "series", "provisional"}
    assert [(r["line"], r["series"]) for r in first["items"]][1:] == [("mainline", "v1.10"), ("stable", "v1.10")]
    second = client.get(first["next"]).json()
    assert [r["tag"] for r in second["items"]] == ["v2.0"] and second["next"] is None and second["offset"] == 3


def test_summary_matches_git_grep(client: TestClient, tmp_path: Path) -> None:
    body = client.get("/api/v1/releases/v1.9?metric=GFP_NOFS").json()
    assert body["release"]["tag"] == "v1.9" and body["previous"] is None and body["change_since_previous"] is None
    assert body["whole_tree"]["total"] == git_grep(tmp_path / "linux", "v1.9")["GFP_NOFS"]
    assert body["in_fs"]["total"] == git_grep(tmp_path / "linux", "v1.9", "fs")["GFP_NOFS"]
    assert body["whole_tree"]["uses"] == body["whole_tree"]["code"] == 6
    assert body["whole_tree"]["definition"] == 1  # the #define in include/linux/gfp.h


def test_subsystems_with_kinds_and_change(client: TestClient) -> None:
    body = client.get("/api/v1/subsystems?release=v1.10").json()
    rows = {r["name"]: r for r in body["items"]}
    btrfs = rows["BTRFS FILE SYSTEM"]
    kinds = (btrfs["uses"], btrfs["comment"], btrfs["string"], btrfs["previous_uses"], btrfs["change"])
    assert kinds == (1, 1, 1, 3, -2)
    assert body["release"] == "v1.10" and body["metric"] == "GFP_NOFS" and "whole words" in body["count_rule"]
    assert [r["uses"] for r in body["items"]] == sorted((r["uses"] for r in body["items"]), reverse=True)


def test_histories_tree_and_occurrences(client: TestClient) -> None:
    history = client.get("/api/v1/subsystems/BTRFS%20FILE%20SYSTEM/history").json()["items"]
    # mainline by default; a stable release's history is its own series
    assert [(h["release"], h["uses"]) for h in history] == [("v1.9", 3), ("v1.10", 1), ("v2.0", 1)]
    stable = client.get("/api/v1/subsystems/BTRFS%20FILE%20SYSTEM/history?release=v1.10.1").json()["items"]
    assert [(h["release"], h["line"], h["uses"]) for h in stable] == [
        ("v1.10", "mainline", 1),
        ("v1.10.1", "stable", 1),
    ]
    tree = client.get("/api/v1/tree/fs?release=v1.9").json()["items"]
    assert {(t["name"], t["type"], t["uses"]) for t in tree} >= {("fs/btrfs", "dir", 3), ("fs/namei.c", "file", 1)}
    file_history = client.get("/api/v1/files/drivers/md/raid1.c/history?metric=GFP_NOIO").json()["items"]
    assert [h["uses"] for h in file_history] == [2, 2, 0]
    occurrences = client.get("/api/v1/files/fs/ext4/super.c/occurrences?release=v1.9").json()["items"]
    assert [(o["line"], o["identifier"], o["kind"], o["function"]) for o in occurrences] == [
        (3, "GFP_NOFS", "code", "ext4_fill"),
        (3, "GFP_NOFS", "comment", "ext4_fill"),
    ]


def test_compare_two_releases(client: TestClient, tmp_path: Path) -> None:
    body = client.get("/api/v1/compare?from=v1.9&to=v2.0").json()
    assert (body["from"], body["to"], body["count"], body["before"], body["after"]) == ("v1.9", "v2.0", "uses", 6, 4)
    every = client.get("/api/v1/compare?from=v1.9&to=v2.0&count=all").json()
    assert (every["before"], every["after"]) == (
        git_grep(tmp_path / "linux", "v1.9")["GFP_NOFS"],
        git_grep(tmp_path / "linux", "v2.0")["GFP_NOFS"],
    )
    files = {f["path"]: f["change"] for f in body["files"]}
    assert files["fs/btrfs/inode.c"] == -2 and files["fs/xfs/xfs_buf.c"] == 1
    changes = client.get("/api/v1/compare/occurrences?from=v1.9&to=v1.10").json()["items"]
    assert sum(c["change"] == "removed" for c in changes) == 2 and {c["path"] for c in changes} == {"fs/btrfs/inode.c"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/releases",
        "/api/v1/subsystems",
        "/api/v1/tree/fs",
        "/api/v1/files/fs/btrfs/inode.c/history",
        "/api/v1/files/fs/btrfs/inode.c/occurrences",
        "/api/v1/releases/v1.10/commits",
        "/api/v1/releases/v1.10/authors",
        "/api/v1/subsystems/BTRFS FILE SYSTEM/commits",
        "/api/v1/files/fs/btrfs/commits",
    ],
)
def test_csv_and_json_agree_row_for_row(client: TestClient, url: str) -> None:
    items = client.get(url).json()["items"]
    for response in (client.get(url + "?format=csv"), client.get(url, headers={"Accept": "text/csv"})):
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert list(rows[0]) == list(items[0])
        assert rows == [{k: "" if v is None else str(v) for k, v in item.items()} for item in items]


def test_etag_and_304(client: TestClient) -> None:
    first = client.get("/api/v1/subsystems")
    assert first.headers["cache-control"].startswith("public") and first.headers["etag"].startswith('"')
    again = client.get("/api/v1/subsystems", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/api/v1/subsystems?metric=GFP_NOIO")
    assert other.headers["etag"] != first.headers["etag"]
    stale = client.get("/api/v1/subsystems", headers={"If-None-Match": '"not-it"'})
    assert stale.status_code == 200


@pytest.mark.parametrize(
    ("url", "status", "error"),
    [
        ("/api/v1/releases/v9.9", 404, "not_found"),
        ("/api/v1/tree/no/such/dir", 404, "not_found"),
        ("/api/v1/subsystems/NOBODY/history", 404, "not_found"),
        ("/api/v1/subsystems?metric=GFP_ALL", 422, "invalid"),
        ("/api/v1/subsystems?limit=100000", 422, "invalid"),
        ("/api/v1/compare?from=v1.9", 422, "invalid"),
    ],
)
def test_errors_are_json(client: TestClient, url: str, status: int, error: str) -> None:
    response = client.get(url)
    assert response.status_code == status and response.json()["error"] == error and response.json()["detail"]


def test_database_down_is_503_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nofs@127.0.0.1:1/nofs")
    with fresh_client() as client:
        response = client.get("/api/v1/releases")
    assert response.status_code == 503 and response.json()["error"] == "unavailable"
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_registry_and_openapi(client: TestClient) -> None:
    registry = client.get("/api/v1/registry").json()
    assert {i["name"] for i in registry["identifiers"]} >= {"GFP_NOFS", "memalloc_nofs_save", "FGP_NOFS"}
    assert "git grep -w" in registry["rule"]
    document = client.get("/api/v1/openapi.json").json()
    assert "/subsystems" in document["paths"] and client.get("/api/v1/docs").status_code == 200


def test_badge_shows_count_and_change(client: TestClient) -> None:
    badge = client.get("/badge/BTRFS%20FILE%20SYSTEM.svg?release=v1.10")
    assert badge.headers["content-type"] == "image/svg+xml"
    texts = [t.text for t in ET.fromstring(badge.text).iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["GFP_NOFS uses", "1 (-2)"]
    assert client.get("/badge/fs/btrfs.svg").status_code == 200 and client.get("/badge/nowhere.svg").status_code == 404


def test_feed_lists_new_legacy_uses_per_release_and_place(client: TestClient) -> None:
    feed = ET.fromstring(client.get("/feeds/additions.atom").text)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles == ["v2.0: 1 new legacy use in fs/xfs/xfs_buf.c"]
    link = next(feed.iter(f"{ATOM}entry")).find(f"{ATOM}link").get("href")
    assert link.endswith("/releases/v2.0?metric=legacy")
    filtered = ET.fromstring(client.get("/feeds/additions.atom?subsystem=BTRFS%20FILE%20SYSTEM").text)
    assert list(filtered.iter(f"{ATOM}entry")) == []
    assert client.get("/feeds/additions.atom?subsystem=NOBODY").status_code == 404


# ---- schemathesis: every operation, generated inputs, no server error, no response outside the schema ----


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with ingested_sqlite(tmp_path_factory.mktemp("api")):
        yield create_api()


@pytest.fixture(scope="module")
def api_schema(api_app: object) -> object:
    return schemathesis.openapi.from_asgi("/openapi.json", api_app)


def test_api_never_fails_nor_breaks_its_schema(api_schema: schemathesis.BaseSchema) -> None:
    """Generated calls to every operation: no 5xx, and every answer fits the OpenAPI document."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate()

        call()


COUNT_KEYS = {"code", "comment", "string", "definition", "uses", "total"}
PAGE_KEYS = {"items", "total", "limit", "offset", "next", "release", "metric", "count_rule", "provisional"}


@pytest.mark.parametrize(
    ("url", "top", "item"),
    [
        (
            "/api/v1/releases",
            PAGE_KEYS | {"lines", "lines_rule", "remote", "links"},
            {"tag", "commit", "commit_date", "line", "series", "provisional"},
        ),
        ("/api/v1/subsystems", PAGE_KEYS, COUNT_KEYS | {"name", "type", "previous_uses", "previous_total", "change"}),
        ("/api/v1/tree", PAGE_KEYS, COUNT_KEYS | {"name", "type", "previous_uses", "previous_total", "change"}),
        (
            "/api/v1/subsystems/THE%20REST/history",
            PAGE_KEYS,
            COUNT_KEYS | {"release", "commit_date", "line", "provisional"},
        ),
        ("/api/v1/files/fs/namei.c/history", PAGE_KEYS, COUNT_KEYS | {"release", "commit_date", "line", "provisional"}),
        (
            "/api/v1/files/fs/namei.c/occurrences",
            PAGE_KEYS,
            {"line", "col", "identifier", "kind", "function", "text", "role", "callee", "argument", "flags", "negated"},
        ),
        (
            "/api/v1/compare/occurrences?from=v1.9&to=v2.0",
            PAGE_KEYS,
            {"path", "identifier", "kind", "function", "text", "line", "change"},
        ),
    ],
)
def test_list_shapes_are_pinned(client: TestClient, url: str, top: set[str], item: set[str]) -> None:
    body = client.get(url).json()
    assert set(body) == top and body["items"] and set(body["items"][0]) == item


def test_object_shapes_are_pinned(client: TestClient) -> None:
    summary = client.get("/api/v1/releases/v2.0").json()
    assert set(summary) == {
        "release",
        "previous",
        "metric",
        "whole_tree",
        "in_fs",
        "change_since_previous",
        "change_since_first",
        "count_rule",
    }
    assert set(summary["whole_tree"]) == COUNT_KEYS
    comparison = client.get("/api/v1/compare?from=v1.9&to=v2.0").json()
    assert set(comparison) == {"from", "to", "metric", "count", "before", "after", "subsystems", "files"}
    assert set(comparison["files"][0]) == {"path", "before", "after", "change"}
    assert set(client.get("/api/v1/registry").json()) == {"identifiers", "metrics", "rule"}
    context = client.get("/api/v1/context?path=fs").json()
    assert set(context) == {
        "release",
        "provisional",
        "metric",
        "path",
        "subsystem",
        "callee",
        "flag",
        "uses",
        "with_nofail",
        "negated",
        "unclassified",
        "roles",
        "flags",
        "items",
        "count_rule",
        "rule",
    }
    assert set(context["items"][0]) == {"role", "callee", "uses", "with_nofail", "negated", "flags"}
    assert set(context["roles"][0]) == {"role", "uses", "rule"} and set(context["flags"][0]) == {"flag", "uses"}


def test_a_summarys_changes_follow_count(client: TestClient) -> None:
    uses = client.get("/api/v1/releases/v2.0?metric=GFP_NOFS").json()
    every = client.get("/api/v1/releases/v2.0?metric=GFP_NOFS&count=all").json()
    before = client.get("/api/v1/releases/v1.10?metric=GFP_NOFS").json()["whole_tree"]
    now = uses["whole_tree"]
    assert uses["change_since_previous"] == now["uses"] - before["uses"]
    assert every["change_since_previous"] == now["total"] - before["total"]
    assert uses["change_since_previous"] != every["change_since_previous"]  # the two moved differently here
