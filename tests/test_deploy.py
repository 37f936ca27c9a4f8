"""docker-compose.yml, the Dockerfile and the test layer read as files: what must hold whether or not a Docker
engine is at hand. tests/deploy/ (`pytest -m deploy`) brings them up for real."""

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from cli.main import main

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
TEST_LAYER = yaml.safe_load((ROOT / "deploy" / "compose.test.yml").read_text())["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_services_and_their_order() -> None:
    assert set(SERVICES) == {"db", "migrate", "worker", "web"}
    assert SERVICES["db"]["healthcheck"]["test"][1].startswith("pg_isready -h 127.0.0.1")
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


def test_the_defaults_are_the_official_images() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "PYTHON_IMAGE: ${NOFS_PYTHON_IMAGE:-python:3.11-slim}" in text
    assert "image: ${NOFS_POSTGRES_IMAGE:-postgres:16}" in text
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE
    assert "name" not in COMPOSE  # Debian's docker-compose 1.29 refuses a top-level name


def test_web_reads_with_the_read_only_role_and_the_worker_writes() -> None:
    assert "nofs_reader:" in SERVICES["web"]["environment"]["DATABASE_URL"]
    assert "//nofs:" in SERVICES["worker"]["environment"]["DATABASE_URL"]
    script = (ROOT / "deploy" / "initdb" / "10-reader-role.sh").read_text()
    assert "GRANT SELECT ON TABLES TO nofs_reader" in script and "INSERT" not in script
    assert "nofs_reader:" in TEST_LAYER["web"]["environment"]["DATABASE_URL"]


def test_commands_exist() -> None:
    worker = SERVICES["worker"]["command"]
    assert worker[:3] == ["nofs", "ingest", "--watch"]
    assert "--watch" in CliRunner().invoke(main, ["ingest", "--help"]).output
    assert CliRunner().invoke(main, ["db", "upgrade", "--help"]).exit_code == 0
    assert SERVICES["web"]["command"][:2] == ["uvicorn", "app.main:app"]


def test_the_image_is_a_wheel_install_as_a_user_with_a_healthcheck() -> None:
    for directory in ("app", "ingest", "migrations", "templates", "static"):
        assert f"COPY {directory} {directory}" in DOCKERFILE
    assert "pip install -e" not in DOCKERFILE and "pip wheel" in DOCKERFILE
    assert DOCKERFILE.count("--require-hashes") == 2
    assert re.search(r"^USER nofs$", DOCKERFILE, re.MULTILINE) and "--uid 10001" in DOCKERFILE
    assert re.search(r"^HEALTHCHECK .* CMD \[\"python\", \"-m\", \"app.healthcheck\"\]$", DOCKERFILE, re.MULTILINE)
    for lock in ("requirements.lock", "build-requirements.lock"):
        pins = [line for line in (ROOT / "deploy" / lock).read_text().splitlines() if re.match(r"^[a-z0-9]", line)]
        assert pins and all(re.match(r"^[\w.-]+==\S+ \\$", line) for line in pins), lock
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored and "!.venv" not in ignored  # the context is what the image needs, no more


def test_the_test_layer_keeps_to_loopback() -> None:
    assert {name: service["network_mode"] for name, service in TEST_LAYER.items()} == dict.fromkeys(SERVICES, "host")
    text = (ROOT / "deploy" / "compose.test.yml").read_text()
    assert text.count("network_mode: host") == 2  # db, and the anchor the three nofs services share
    assert "listen_addresses=127.0.0.1" in text and "UVICORN_HOST: 127.0.0.1" in text
    assert "networks:" not in text
