"""The `nofs` group: what each command imports, the schema command, and usage errors in one line."""

from pathlib import Path

import pytest

from tests.cli.runner import error_line, nofs


def test_db_upgrade(db_url: str) -> None:
    result = nofs("db", "upgrade")
    assert result.exit_code == 0 and "newest schema" in result.stdout


def _modules_after(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh `nofs ARGS` process has imported when the command returns."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\nfrom cli.main import main\ntry:\n    main(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n    print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=True)  # fmt: skip
    return set(done.stdout.split())


def test_each_command_imports_only_its_own_machinery(db_url: str, history: Path) -> None:
    heavy = {"sqlalchemy", "pygit2", "dulwich", "hyperscan", "pydantic_settings", "fastapi", "rich"}
    assert _modules_after(["--help"]) & heavy == set()
    assert nofs("ingest", str(history)).exit_code == 0
    report = _modules_after(["report", "path", "--format", "json"])
    assert "sqlalchemy" in report and report & {"pygit2", "dulwich", "hyperscan", "ingest.run", "fastapi"} == set()
    no_op = _modules_after(["ingest", str(history)])  # git alone tells that every tag's commit is stored
    assert (
        "sqlalchemy" in no_op and no_op & {"pygit2", "dulwich", "hyperscan", "ingest.scan", "fastapi", "rich"} == set()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "subsystem", "--path", "fs"], "No such option '--path'. (see nofs report subsystem --help)"),
        (["report", "path", "--callee", "kmalloc"], "No such option '--callee'. (see nofs report path --help)"),
        (["report", "scope", "--metric", "GFP_NOFS"], "No such option '--metric'. (see nofs report scope --help)"),
        (["report", "callee", "--metric", "nope"], "Invalid value for '--metric': 'nope' is not one of 'GFP_NOFS',"),
        (["report", "by-path"], "No such command 'by-path'. Did you mean 'path'? (see nofs report --help)"),
        (["ingest"], "Missing argument 'SOURCE'. (see nofs ingest --help)"),
    ],
)
def test_a_command_line_not_understood_is_one_line_and_status_2(args: list[str], message: str) -> None:
    assert message in error_line(nofs(*args), status=2)


def test_a_group_asked_for_alone_shows_its_help() -> None:
    result = nofs("report")
    assert "Commands:" in result.output and "callee" in result.output and "nofs: error" not in result.output


def test_serve_upgrades_a_database_at_an_older_schema(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from app.db import make_engine
    from migrations.runner import HEAD_REVISION, alembic_config, current_revision

    engine = make_engine(db_url)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    served: list[str] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **_: served.append(app))
    result = nofs("serve", "--port", "8123")
    assert result.exit_code == 0 and served == ["app.main:app"], result.output
    assert f"upgraded from schema 0008 to {HEAD_REVISION}" in result.stderr
    assert current_revision(engine) == HEAD_REVISION and "data_changes" in inspect(engine).get_table_names()
    assert "upgraded" not in nofs("serve").stderr  # a current schema is left as it is
    engine.dispose()
