import csv
import io
import json
from pathlib import Path

import pygit2
import pytest
from click.testing import CliRunner, Result

from app.context_rules import CONTEXT_RULE_TEXT
from app.registry import NAMES
from app.settings import get_settings
from ingest.cli import main
from tests.kernel_like import build_context_history, build_history, git_grep


@pytest.fixture
def history(tmp_path: Path) -> Path:
    build_history(tmp_path / "linux")
    return tmp_path / "linux"


def nofs(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def error_line(result: Result) -> str:
    """The error: one line, the last on stderr (progress lines may come before it), and no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("nofs: error: ")]
    assert errors == lines[-1:], result.stderr
    assert "Traceback" not in result.stderr
    return errors[0]


def test_ingest_prints_one_summary_line_then_report_reads_it(db_url: str, history: Path) -> None:
    result = nofs("ingest", "--jobs", "2", str(history))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == [result.stdout.strip()]
    # by default the mainline releases: v1.9, v1.10, v2.0 (not the stable v1.10.1 nor v2.0-rc1)
    assert result.stdout.startswith("ingested 3 release(s), 0 already stored; scanned ")
    again = nofs("ingest", "--stable", str(history))
    assert again.stdout.startswith("ingested 1 release(s), 3 already stored; scanned ")


def test_report_formats_agree_and_match_git_grep(db_url: str, history: Path) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    as_json = json.loads(nofs("report", "--path", "fs", "--format", "json").stdout)
    assert as_json["release"]["tag"] == "v2.0" and as_json["scope"] == "fs" and "git grep -w" in as_json["rule"]
    totals = {row["identifier"]: row["total"] for row in as_json["totals"]}
    grep = git_grep(history, "v2.0", "fs")
    assert totals == {name: grep.get(name, 0) for name in NAMES}  # every identifier, zeros included
    rows = list(csv.DictReader(io.StringIO(nofs("report", "--path", "fs", "--format", "csv").stdout)))
    assert [(r["name"], r["type"], r["identifier"], int(r["uses"])) for r in rows] == [
        (r["name"], r["type"], r["identifier"], r["uses"]) for r in as_json["rows"] + as_json["totals"]
    ]
    table = nofs("report", "--path", "fs", "--metric", "GFP_NOFS").stdout
    assert "GFP_NOFS at v2.0, /fs" in table and "fs/btrfs" in table and "uses = code occurrences" in table


def test_nothing_found_is_a_row_of_zeros(db_url: str, history: Path) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    for path in ("drivers/md/plain.c", "no/such/dir"):
        report = json.loads(nofs("report", "--path", path, "--metric", "GFP_NOFS", "--format", "json").stdout)
        assert report["rows"] == [] and [(r["identifier"], r["total"], r["uses"]) for r in report["totals"]] == [
            ("GFP_NOFS", 0, 0)
        ]


def test_report_by_subsystem_at_an_older_release(db_url: str, history: Path) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    report = json.loads(nofs("report", "--release", "v1.9", "--by", "subsystem", "--format", "json").stdout)
    rows = {(r["name"], r["identifier"]): r["uses"] for r in report["rows"]}
    assert rows[("EXT4 FILE SYSTEM", "GFP_NOFS")] == 1 and report["release"]["tag"] == "v1.9"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--release", "v9.9"], "no release 'v9.9' in the database"),
        (["report", "--by", "subsystem", "--path", "fs"], "cannot be combined"),
        (["report", "--callee", "kmalloc"], "--callee and --flag go with --by callee"),
        (["report", "--subsystem", "THE REST"], "--subsystem goes with --by callee, scope, change or fixes"),
        (["report", "--from", "v2.0"], "--from goes with --by change or fixes"),
        (["report", "--kind", "opener"], "--kind goes with --by scope"),
        (["report", "--by", "scope", "--metric", "GFP_NOFS"], "--metric does not go with --by scope"),
        (["report", "--by", "scope", "--path", "fs/nowhere"], "no tracked occurrences under /fs/nowhere"),
        (["report", "--by", "callee", "--subsystem", "NO SUCH"], "no MAINTAINERS subsystem 'NO SUCH'"),
    ],
)
def test_report_errors_are_one_line(db_url: str, history: Path, args: list[str], message: str) -> None:
    assert nofs("ingest", str(history)).exit_code == 0
    assert message in error_line(nofs(*args))


def test_report_by_callee_agrees_with_the_api_in_every_format(db_url: str, tmp_path: Path) -> None:
    from tests.app.test_context import FS_XFS

    build_context_history(tmp_path / "context")
    assert nofs("ingest", "--stable", str(tmp_path / "context")).exit_code == 0
    as_json = json.loads(nofs("report", "--by", "callee", "--path", "fs/xfs", "--format", "json").stdout)
    assert (as_json["release"], as_json["path"], as_json["uses"], as_json["with_nofail"]) == ("v2.1", "fs/xfs", 9, 3)
    assert [(r["role"], r["callee"], r["uses"], r["with_nofail"]) for r in as_json["items"]] == FS_XFS
    assert as_json["rule"] == CONTEXT_RULE_TEXT and "code occurrences only" in as_json["count_rule"]
    as_csv = list(
        csv.DictReader(io.StringIO(nofs("report", "--by", "callee", "--path", "fs/xfs", "--format", "csv").stdout))
    )
    assert [(r["scope"], r["role"], r["callee"] or None, int(r["uses"]), int(r["with_nofail"])) for r in as_csv] == [
        ("/fs/xfs", *row) for row in FS_XFS
    ]
    table = nofs("report", "--by", "callee", "--subsystem", "BTRFS FILE SYSTEM", "--release", "v2.1").stdout
    assert "GFP_NOFS at v2.1 in BTRFS FILE SYSTEM, by callee" in table and "│ kmalloc " in table
    assert table.rstrip().endswith(CONTEXT_RULE_TEXT)
    nofail = json.loads(nofs("report", "--by", "callee", "--flag", "__GFP_NOFAIL", "--format", "json").stdout)
    assert [(r["callee"], r["uses"]) for r in nofail["items"]] == [("kmalloc", 2), ("mempool_alloc", 1)]
    kmalloc = nofs("report", "--by", "callee", "--callee", "kmalloc", "--flag", "__GFP_NOFAIL").stdout
    assert "(only those an argument of kmalloc and combined with __GFP_NOFAIL)" in " ".join(kmalloc.split())


def test_report_on_an_empty_database_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    get_settings.cache_clear()
    assert "run `nofs ingest REPOSITORY` first" in error_line(nofs("report"))


def test_not_a_path_not_a_repository_no_tags(db_url: str, history: Path, tmp_path: Path) -> None:
    assert "no such file or directory" in error_line(nofs("ingest", str(tmp_path / "missing")))
    (tmp_path / "plain").mkdir()
    assert "is not a git repository" in error_line(nofs("ingest", str(tmp_path / "plain")))
    assert "no release tag matches '^release-'" in error_line(nofs("ingest", "--tags", "^release-", str(history)))
    assert "'soon' is not a version" in error_line(nofs("ingest", "--since", "soon", str(history)))


def test_a_url_with_since_fetches_in_logged_steps_and_errors_are_one_line(db_url: str, history: Path) -> None:
    url = f"file://{history}"
    result = nofs("ingest", "--since", "v1.10", url)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ingested 2 release(s), 0 already stored")  # v1.10 and v2.0, mainline
    # not a terminal: git's own progress is replaced by one line a step
    assert f"fetching {url}: tags 1-2 of 2 (v1.10 … v2.0), history after v1.9; step 1 of 1" in result.stderr
    assert "the mirror holds every selected release already" in nofs("ingest", "--since", "v1.10", url).stderr
    assert "nofs: error: listing the tags of file:///nowhere failed: " in error_line(
        nofs("ingest", "--since", "v1.10", "file:///nowhere")
    )
    assert f"{url}: no release tag matches '^release-'" in error_line(
        nofs("ingest", "--since", "v1.10", "--tags", "^release-", url)
    )


def test_unreachable_database(history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nofs:secret@127.0.0.1:1/nofs")
    get_settings.cache_clear()
    line = error_line(nofs("ingest", str(history)))
    assert "cannot use the database postgresql+psycopg://nofs:***@127.0.0.1:1/nofs" in line
    assert "secret" not in line
    get_settings.cache_clear()


def test_unreadable_object_stops_with_nothing_lost(db_url: str, history: Path) -> None:
    assert nofs("ingest", "--until", "v1.9", str(history)).exit_code == 0
    # v1.10 brings one new blob; remove it from the object store
    repo = pygit2.Repository(str(history))
    blob = repo.revparse_single("v1.10:fs/btrfs/inode.c").id
    (history / ".git" / "objects" / str(blob)[:2] / str(blob)[2:]).unlink()
    assert f"object {blob}" in error_line(nofs("ingest", "--jobs", "1", str(history)))
    report = json.loads(nofs("report", "--format", "json").stdout)
    assert report["release"]["tag"] == "v1.9" and report["totals"]


def test_db_upgrade(db_url: str) -> None:
    result = nofs("db", "upgrade")
    assert result.exit_code == 0 and "newest schema" in result.stdout


def _modules_after(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh `nofs ARGS` process has imported when the command returns."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\nfrom ingest.cli import main\ntry:\n    main(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n    print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=True)  # fmt: skip
    return set(done.stdout.split())


def test_each_command_imports_only_its_own_machinery(db_url: str, history: Path) -> None:
    heavy = {"sqlalchemy", "pygit2", "dulwich", "hyperscan", "pydantic_settings", "fastapi", "rich"}
    assert _modules_after(["--help"]) & heavy == set()
    assert nofs("ingest", str(history)).exit_code == 0
    report = _modules_after(["report", "--format", "json"])
    assert "sqlalchemy" in report and report & {"pygit2", "dulwich", "hyperscan", "ingest.run", "fastapi"} == set()
    no_op = _modules_after(["ingest", str(history)])  # git alone tells that every tag's commit is stored
    assert (
        "sqlalchemy" in no_op and no_op & {"pygit2", "dulwich", "hyperscan", "ingest.scan", "fastapi", "rich"} == set()
    )


def test_report_by_scope_agrees_with_the_api_in_every_format(db_url: str, tmp_path: Path) -> None:
    from app.db import get_engine, make_engine
    from app.scope_rules import SCOPE_RULE_TEXT
    from tests.app.test_pages import fresh_client
    from tests.scope_history import XFS, XFS_WHY, build_scope_history, store_findings

    build_scope_history(tmp_path / "linux")
    assert nofs("ingest", "--stable", str(tmp_path / "linux")).exit_code == 0
    unread = nofs("report", "--by", "scope")
    assert unread.exit_code == 0
    assert "Scopes at v2.1 in the whole tree: not read yet (run `nofs scopes`)." in unread.stdout
    engine = make_engine(db_url)
    store_findings(engine)
    engine.dispose()
    as_json = json.loads(nofs("report", "--by", "scope", "--path", "fs", "--format", "json").stdout)
    with fresh_client() as client:
        twin = client.get("/api/v1/scopes?path=fs").json()
    get_engine.cache_clear()
    assert [{k: f[k] for k in ("path", "line", "kind", "evidence")} for f in as_json["findings"]] == [
        {k: f[k] for k in ("path", "line", "kind", "evidence")} for f in twin["items"]
    ]
    assert as_json["redundant"] == twin["redundant"] and as_json["kinds"] == twin["kinds"] and as_json["read"]
    assert as_json["rule"] == SCOPE_RULE_TEXT
    rows = list(
        csv.DictReader(
            io.StringIO(nofs("report", "--by", "scope", "--subsystem", "XFS FILESYSTEM", "--format", "csv").stdout)
        )
    )
    assert [(r["release"], r["kind"], r["path"], r["line"]) for r in rows] == [
        ("v2.1", "redundant", XFS, "14"),
        ("v2.1", "opener", XFS, "3"),
        ("v2.1", "closer", XFS, "9"),
    ]
    assert json.loads(rows[0]["evidence"])[0]["why"] == XFS_WHY
    table = " ".join(nofs("report", "--by", "scope", "--kind", "redundant").stdout.split())
    assert "Scope findings at v2.1 in the whole tree, redundant in scope only" in table
    assert "Redundant in scope: GFP_NOFS 2 of 5 code uses (40.0%), GFP_NOIO 1." in table
    assert "scope opener" not in table.split("Redundant in scope:")[0]
    old = nofs("report", "--by", "scope", "--release", "v1.10", "--format", "csv")
    assert old.exit_code == 0 and "v1.10: not read yet (run `nofs scopes`)" in old.stderr
    assert old.stdout.strip() == "release,kind,identifier,path,subsystem,line,function,how,text,evidence"


def test_report_by_change_agrees_with_the_api_in_every_format(db_url: str, history: Path) -> None:
    from app.change_rules import CHANGE_RULE_TEXT, ChangeKind
    from app.db import get_engine
    from tests.app.test_pages import fresh_client

    assert nofs("ingest", "--stable", str(history)).exit_code == 0
    with fresh_client() as client:
        newest = client.get("/api/v1/releases").json()["items"][-1]["tag"]
        twins = {
            query: client.get(f"/api/v1/change-kinds?to={newest}{query}").json()
            for query in ("", "&path=fs", "&metric=GFP_NOIO")
        }
    get_engine.cache_clear()
    for query, args in (("", ()), ("&path=fs", ("--path", "fs")), ("&metric=GFP_NOIO", ("--metric", "GFP_NOIO"))):
        as_json = json.loads(nofs("report", "--by", "change", "--format", "json", *args).stdout)
        twin = twins[query]
        assert (as_json["from"], as_json["to"], as_json["split"]) == (twin["from"], twin["to"], twin["split"])
        assert as_json["rule"] == CHANGE_RULE_TEXT and as_json["split"] is not None
    split = twins[""]["split"]
    rows = list(csv.DictReader(io.StringIO(nofs("report", "--by", "change", "--format", "csv").stdout)))
    assert [(r["kind"], int(r["uses"])) for r in rows] == [
        *((kind.value, split[kind.value]) for kind in ChangeKind),
        ("net", split["net"]),
    ]
    table = nofs("report", "--by", "change").stdout
    assert f"{twins['']['from']} -> {newest}" in table and f"{split['net']:+d}" in table
    assert "the change in uses" in table and CHANGE_RULE_TEXT.split(".")[0] in table.replace("\n", " ")
    assert (
        error_line(nofs("report", "--by", "change", "--from", "v9.9"))
        == "nofs: error: no release 'v9.9' in the database"
    )
    assert "--from goes with --by change" in error_line(nofs("report", "--from", twins[""]["from"]))


def test_report_by_change_says_when_the_intervals_are_not_split(db_url: str, history: Path) -> None:
    assert nofs("ingest", "--stable", "--no-commits", str(history)).exit_code == 0
    table = nofs("report", "--by", "change")
    assert table.exit_code == 0 and "not split: an interval between them is not attributed" in table.stdout
    as_csv = nofs("report", "--by", "change", "--format", "csv")
    assert as_csv.exit_code == 0 and as_csv.stdout.strip() == "from,to,metric,kind,uses"
    assert "not split" in as_csv.stderr
    assert json.loads(nofs("report", "--by", "change", "--format", "json").stdout)["split"] is None


def test_report_by_fixes_agrees_with_the_api_in_every_format(db_url: str, tmp_path: Path) -> None:
    from app.db import get_engine
    from tests.app.test_pages import fresh_client
    from tests.fix_history import build_fixes_history

    c = build_fixes_history(tmp_path / "repo")
    assert nofs("ingest", "--tags", r"^v\d+\.\d+$", str(tmp_path / "repo")).exit_code == 0
    with fresh_client() as client:
        twin = client.get("/api/v1/fixes?release=v1.2&from=v1.0").json()
    get_engine.cache_clear()
    as_json = json.loads(
        nofs("report", "--by", "fixes", "--release", "v1.2", "--from", "v1.0", "--format", "json").stdout
    )
    assert (as_json["conversions"], as_json["fixed"], as_json["rule"]) == (
        twin["conversions"],
        twin["fixed"],
        twin["rule"],
    )
    pairs = [(f["commit"], f["fix_commit"], f["fix_release"]) for f in as_json["fixes"]]
    assert pairs == [(i["commit"], i["fix_commit"], i["fix_release"]) for i in twin["items"]]
    assert (c["convert_a"], c["fix_a"], "v1.1") in pairs and len(pairs) >= 2
    rows = list(
        csv.DictReader(io.StringIO(nofs("report", "--by", "fixes", "--from", "v1.0", "--format", "csv").stdout))
    )
    assert [(r["commit"], r["fix_commit"]) for r in rows] == [(p[0], p[1]) for p in pairs]
    table = nofs("report", "--by", "fixes", "--release", "v1.1").stdout
    assert f"that needed a fix: 1 of {twin['conversions']}" in table and c["fix_a"][:12] in table
