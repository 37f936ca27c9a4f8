"""`nofs report`: the API's answers from the database, as a table, JSON or CSV. JSON and CSV are the API's own
(the same models, one CSV writer); each test holds the command to its API twin."""

import csv
import io
import json
from pathlib import Path

import pytest

from app.context_rules import CONTEXT_RULE_TEXT
from app.db import get_engine, make_engine
from app.registry import NAMES
from app.settings import get_settings
from tests.cli.runner import error_line, nofs
from tests.kernel_like import FS_XFS, build_context_history, git_grep
from tests.web import fresh_client


def api(*urls: str) -> list[tuple[dict, str]]:
    """The API's JSON and CSV of each URL, on the database DATABASE_URL names."""
    with fresh_client() as client:
        answers = [(client.get(url).json(), client.get(url, headers={"Accept": "text/csv"}).text) for url in urls]
    get_engine.cache_clear()
    return answers


def test_path_report_counts_every_identifier_as_git_grep_does(db_url: str, history: Path) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    as_json = json.loads(nofs("report", "path", "--path", "fs", "--format", "json").stdout)
    assert as_json["release"]["tag"] == "v2.0" and as_json["scope"] == "fs" and "git grep -w" in as_json["rule"]
    totals = {row["identifier"]: row["total"] for row in as_json["items"] if row["type"] == "total"}
    grep = git_grep(history, "v2.0", "fs")
    assert totals == {name: grep.get(name, 0) for name in NAMES}  # every identifier, zeros included
    rows = list(csv.DictReader(io.StringIO(nofs("report", "path", "--path", "fs", "--format", "csv").stdout)))
    assert [(r["name"], r["type"], r["identifier"], int(r["uses"])) for r in rows] == [
        (r["name"], r["type"], r["identifier"], r["uses"]) for r in as_json["items"]
    ]
    table = nofs("report", "path", "--path", "fs", "--metric", "GFP_NOFS").stdout
    assert "GFP_NOFS at v2.0, /fs" in table and "fs/btrfs" in table and "uses = code occurrences" in table


def test_a_headline_metric_adds_its_identifiers_up(db_url: str, history: Path) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    each = json.loads(nofs("report", "path", "--path", "fs", "--format", "json").stdout)["items"]
    legacy = json.loads(nofs("report", "path", "--path", "fs", "--metric", "legacy", "--format", "json").stdout)
    by_name: dict[tuple[str, str], int] = {}
    for row in each:
        if row["identifier"] in ("GFP_NOFS", "GFP_NOIO"):
            by_name[(row["name"], row["type"])] = by_name.get((row["name"], row["type"]), 0) + row["total"]
    assert {(r["name"], r["type"]): r["total"] for r in legacy["items"]} == {k: v for k, v in by_name.items() if v}
    assert {r["identifier"] for r in legacy["items"]} == {"legacy"} and legacy["metric"] == "legacy"


def test_a_known_place_without_the_metric_is_a_row_of_zeros_an_unknown_one_an_error(db_url: str, history: Path) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    report = json.loads(nofs("report", "path", "--path", "fs", "--metric", "FGP_NOFS", "--format", "json").stdout)
    assert [(r["type"], r["identifier"], r["total"]) for r in report["items"]] == [("total", "FGP_NOFS", 0)]
    for command in ("path", "callee", "scope", "change", "fixes"):
        assert "no tracked occurrences under /no/such/dir" in error_line(
            nofs("report", command, "--path", "no/such/dir")
        )


def test_subsystem_report_at_an_older_release(db_url: str, history: Path) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    report = json.loads(nofs("report", "subsystem", "--release", "v1.9", "--format", "json").stdout)
    rows = {(r["name"], r["identifier"]): r["uses"] for r in report["items"] if r["type"] == "subsystem"}
    assert rows[("EXT4 FILE SYSTEM", "GFP_NOFS")] == 1 and report["release"]["tag"] == "v1.9"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "path", "--release", "v9.9"], "no release 'v9.9' in the database"),
        (["report", "scope", "--path", "fs/nowhere"], "no tracked occurrences under /fs/nowhere"),
        (["report", "callee", "--subsystem", "NO SUCH"], "no MAINTAINERS subsystem 'NO SUCH'"),
        (["report", "change", "--release", "v1.9"], "v1.9 is the first ingested release: nothing to compare it with"),
        (["report", "fixes", "--from", "v2.0", "--release", "v1.10"], "v2.0 is not an older release on v1.10's line"),
        (["report", "change", "--from", "v9.9"], "no release 'v9.9' in the database"),
    ],
)
def test_what_the_data_cannot_answer_is_one_line_and_status_1(
    db_url: str, history: Path, args: list[str], message: str
) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    assert error_line(nofs(*args)).startswith(f"nofs: error: {message}")


def test_the_interval_errors_are_the_apis(db_url: str, history: Path) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    [(first, _), (backwards, _)] = api("/api/v1/change-kinds?to=v1.9", "/api/v1/fixes?from=v2.0&release=v1.10")
    assert error_line(nofs("report", "change", "--release", "v1.9")) == f"nofs: error: {first['detail']}"
    assert error_line(nofs("report", "fixes", "--from", "v2.0", "--release", "v1.10")) == (
        f"nofs: error: {backwards['detail']}"
    )


def test_callee_is_the_context_api_in_every_format(db_url: str, tmp_path: Path) -> None:
    build_context_history(tmp_path / "context")
    assert nofs("ingest", "--stable", str(tmp_path / "context")).exit_code == 0
    [(twin, twin_csv), (legacy, _)] = api("/api/v1/context?path=fs/xfs", "/api/v1/context?metric=legacy")
    as_json = json.loads(nofs("report", "callee", "--path", "fs/xfs", "--format", "json").stdout)
    assert as_json == twin
    assert (as_json["release"], as_json["path"], as_json["uses"], as_json["with_nofail"]) == ("v2.1", "fs/xfs", 9, 3)
    assert [(r["role"], r["callee"], r["uses"], r["with_nofail"]) for r in as_json["items"]] == FS_XFS
    assert as_json["rule"] == CONTEXT_RULE_TEXT and "code occurrences only" in as_json["count_rule"]
    assert nofs("report", "callee", "--path", "fs/xfs", "--format", "csv").stdout == twin_csv
    assert json.loads(nofs("report", "callee", "--metric", "legacy", "--format", "json").stdout) == legacy
    table = nofs("report", "callee", "--subsystem", "BTRFS FILE SYSTEM", "--release", "v2.1").stdout
    assert "GFP_NOFS at v2.1 in BTRFS FILE SYSTEM, by callee" in table and "│ kmalloc " in table
    assert table.rstrip().endswith(CONTEXT_RULE_TEXT)
    nofail = json.loads(nofs("report", "callee", "--flag", "__GFP_NOFAIL", "--format", "json").stdout)
    assert [(r["callee"], r["uses"]) for r in nofail["items"]] == [("kmalloc", 2), ("mempool_alloc", 1)]
    kmalloc = nofs("report", "callee", "--callee", "kmalloc", "--flag", "__GFP_NOFAIL").stdout
    assert "(only those an argument of kmalloc and combined with __GFP_NOFAIL)" in " ".join(kmalloc.split())


def test_report_on_an_empty_database_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    get_settings.cache_clear()
    assert "run `nofs ingest REPOSITORY` first" in error_line(nofs("report", "path"))


def test_scope_is_the_scopes_api_with_every_finding(db_url: str, tmp_path: Path) -> None:
    from app.scope_rules import SCOPE_RULE_TEXT
    from tests.scope_history import XFS, XFS_WHY, build_scope_history, store_findings

    build_scope_history(tmp_path / "linux")
    assert nofs("ingest", "--stable", str(tmp_path / "linux")).exit_code == 0
    unread = nofs("report", "scope")
    assert unread.exit_code == 0
    assert "Scopes at v2.1 in the whole tree: not read yet (run `nofs scopes`)." in unread.stdout
    engine = make_engine(db_url)
    store_findings(engine)
    engine.dispose()
    [(twin, _), (page, _), (xfs, xfs_csv)] = api(
        "/api/v1/scopes?path=fs&limit=1000", "/api/v1/scopes?path=fs&limit=1", "/api/v1/scopes?subsystem=XFS FILESYSTEM"
    )
    as_json = json.loads(nofs("report", "scope", "--path", "fs", "--format", "json").stdout)
    assert as_json == {**twin, "limit": twin["total"]}  # every finding, however many: one page of them all
    assert page["total"] == twin["total"] > page["limit"] and as_json["next"] is None
    assert as_json["rule"] == SCOPE_RULE_TEXT and as_json["read"]
    as_csv = nofs("report", "scope", "--subsystem", "XFS FILESYSTEM", "--format", "csv").stdout
    assert as_csv == xfs_csv and xfs["total"] == 3
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert [(r["kind"], r["path"], r["line"]) for r in rows] == [
        ("redundant", XFS, "14"),
        ("opener", XFS, "3"),
        ("closer", XFS, "9"),
    ]
    assert json.loads(rows[0]["evidence"])[0]["why"] == XFS_WHY
    table = " ".join(nofs("report", "scope", "--kind", "redundant").stdout.split())
    assert "Scope findings at v2.1 in the whole tree, redundant in scope only" in table
    assert "Redundant in scope: GFP_NOFS 2 of 5 code uses (40.0%), GFP_NOIO 1." in table
    assert "scope opener" not in table.split("Redundant in scope:")[0]
    old = nofs("report", "scope", "--release", "v1.10", "--format", "csv")
    assert old.exit_code == 0 and "v1.10: not read yet (run `nofs scopes`)" in old.stderr
    assert old.stdout.strip() == "kind,label,identifier,path,subsystem,line,function,how,text,evidence"


def test_change_is_the_change_kinds_api_in_every_format(db_url: str, history: Path) -> None:
    from app.change_rules import CHANGE_RULE_TEXT

    assert nofs("ingest", "--stable", str(history)).exit_code == 0
    twins = api("/api/v1/change-kinds", "/api/v1/change-kinds?path=fs", "/api/v1/change-kinds?metric=GFP_NOIO")
    for (twin, twin_csv), args in zip(twins, ((), ("--path", "fs"), ("--metric", "GFP_NOIO")), strict=True):
        assert json.loads(nofs("report", "change", "--format", "json", *args).stdout) == twin
        assert nofs("report", "change", "--format", "csv", *args).stdout == twin_csv
        assert twin["rule"] == CHANGE_RULE_TEXT and twin["split"] is not None
    (twin, _) = twins[0]
    row = next(csv.DictReader(io.StringIO(twins[0][1])))
    assert (row["from"], row["to"], json.loads(row["split"])) == (twin["from"], twin["to"], twin["split"])
    table = nofs("report", "change").stdout
    assert f"{twin['from']} -> {twin['to']}" in table and f"{twin['split']['net']:+d}" in table
    assert "the change in uses" in table and CHANGE_RULE_TEXT.split(".")[0] in table.replace("\n", " ")


def test_change_says_when_the_intervals_are_not_split(db_url: str, history: Path) -> None:
    assert nofs("ingest", "--stable", "--no-commits", str(history)).exit_code == 0
    table = nofs("report", "change")
    assert table.exit_code == 0 and "not split: an interval between them is not attributed" in table.stdout
    as_csv = nofs("report", "change", "--format", "csv")
    assert as_csv.exit_code == 0 and next(csv.DictReader(io.StringIO(as_csv.stdout)))["split"] == ""
    assert "not split" in as_csv.stderr
    assert json.loads(nofs("report", "change", "--format", "json").stdout)["split"] is None


def test_fixes_is_the_fixes_api_with_every_row(db_url: str, tmp_path: Path) -> None:
    from tests.fix_history import build_fixes_history

    c = build_fixes_history(tmp_path / "repo")
    assert nofs("ingest", "--tags", r"^v\d+\.\d+$", str(tmp_path / "repo")).exit_code == 0
    [(twin, twin_csv)] = api("/api/v1/fixes?release=v1.2&from=v1.0")
    as_json = json.loads(nofs("report", "fixes", "--release", "v1.2", "--from", "v1.0", "--format", "json").stdout)
    assert as_json == {**twin, "limit": twin["total"]}
    pairs = [(f["commit"], f["fix_commit"], f["fix_release"]) for f in as_json["items"]]
    assert (c["convert_a"], c["fix_a"], "v1.1") in pairs and len(pairs) >= 2
    assert nofs("report", "fixes", "--release", "v1.2", "--from", "v1.0", "--format", "csv").stdout == twin_csv
    table = nofs("report", "fixes", "--release", "v1.1").stdout
    assert f"that needed a fix: 1 of {twin['conversions']}" in table and c["fix_a"][:12] in table
