"""docker-compose.yml as the deployment it claims to be (no Docker engine runs here: read it instead)."""

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from ingest.cli import main

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_services_and_their_order() -> None:
    assert set(SERVICES) == {"db", "migrate", "worker", "web"}
    assert SERVICES["db"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert "db-data:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    assert SERVICES["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert SERVICES["migrate"]["command"] == ["nofs", "db", "upgrade"] and SERVICES["migrate"]["restart"] == "no"
    for name in ("worker", "web"):
        assert SERVICES[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}


def test_required_settings_fail_fast_with_a_message() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    required = dict(re.findall(r"\$\{(\w+):\?([^}]+)\}", text))
    assert set(required) == {"POSTGRES_PASSWORD", "NOFS_READER_PASSWORD", "NOFS_REPOSITORY_URL"}
    assert all(message.startswith("set ") for message in required.values())


def test_web_reads_with_the_read_only_role_and_the_worker_writes() -> None:
    assert "nofs_reader:" in SERVICES["web"]["environment"]["DATABASE_URL"]
    assert "//nofs:" in SERVICES["worker"]["environment"]["DATABASE_URL"]
    script = (ROOT / "deploy" / "initdb" / "10-reader-role.sh").read_text()
    assert "GRANT SELECT ON TABLES TO nofs_reader" in script and "INSERT" not in script


def test_commands_exist() -> None:
    worker = SERVICES["worker"]["command"]
    assert worker[:3] == ["nofs", "ingest", "--watch"]
    assert "--watch" in CliRunner().invoke(main, ["ingest", "--help"]).output
    assert CliRunner().invoke(main, ["db", "upgrade", "--help"]).exit_code == 0
    assert SERVICES["web"]["command"][:2] == ["uvicorn", "app.main:app"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for directory in ("app", "ingest", "migrations", "templates", "static"):
        assert f"COPY {directory} {directory}" in dockerfile
