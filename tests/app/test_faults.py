"""The database down under the web app: 503 pages and JSON, then recovery without a restart."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from app.db import get_engine, make_engine
from app.web.response_cache import VERSION_TTL
from ingest.run import IngestOptions, ingest
from migrations.runner import upgrade
from tests.databases import POSTGRES_ADMIN, admin, pg_url
from tests.kernel_like import WITH_STABLE, build_history
from tests.web import fresh_client


def test_database_down_then_back(pg_engine: Engine, tmp_path: Path) -> None:
    build_history(tmp_path / "linux")
    ingest(pg_engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1))
    with pg_engine.connect() as connection:
        name = connection.execute(text("SELECT current_database()")).scalar_one()
    pg_engine.dispose()
    with fresh_client() as client:
        assert client.get("/tree/fs").status_code == 200
        admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        try:
            time.sleep(VERSION_TTL + 0.2)  # past the response cache's look at the data version
            down = client.get("/tree/fs")
            assert down.status_code == 503 and "Database unavailable" in down.text
            api = client.get("/api/v1/releases")
            assert api.status_code == 503 and api.json()["error"] == "unavailable"
        finally:
            admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        time.sleep(VERSION_TTL + 0.2)
        assert client.get("/tree/fs").status_code == 200  # the same app, no restart
        assert client.get("/api/v1/releases").json()["total"] == 4


def _drop_deployment_roles() -> None:
    admin('DROP DATABASE IF EXISTS "nofs" WITH (FORCE)')
    for role in ("nofs_reader", "nofs"):
        admin(f'DROP ROLE IF EXISTS "{role}"')


def test_the_web_app_needs_only_the_role_the_deployment_script_makes(
    postgres_template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy/initdb/10-reader-role.sh run as the db container runs it, on a database `nofs` owned by the
    role `nofs` (as POSTGRES_DB and POSTGRES_USER make them); then migrations and an ingest as `nofs`,
    and the web app as `nofs_reader`: everything reads, nothing writes."""
    _drop_deployment_roles()
    admin('CREATE ROLE "nofs" LOGIN SUPERUSER')  # the official image makes POSTGRES_USER the superuser
    admin('CREATE DATABASE "nofs" OWNER "nofs"')
    try:
        host = make_url(POSTGRES_ADMIN)
        env = {**os.environ, "POSTGRES_USER": "nofs", "POSTGRES_DB": "nofs", "NOFS_READER_PASSWORD": "secret",
               "PGHOST": host.host or "127.0.0.1", "PGPORT": str(host.port or 5432)}  # fmt: skip
        script = Path(__file__).resolve().parents[2] / "deploy" / "initdb" / "10-reader-role.sh"
        subprocess.run(["sh", str(script)], env=env, check=True, capture_output=True)
        owner_url = pg_url("nofs").replace("postgres@", "nofs@", 1)
        owner = make_engine(owner_url)
        upgrade(owner)
        build_history(tmp_path / "linux")
        ingest(owner, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1))
        owner.dispose()
        reader_url = owner_url.replace("nofs@", "nofs_reader@", 1)
        monkeypatch.setenv("DATABASE_URL", reader_url)
        with fresh_client() as client:
            for url in ("/", "/tree/fs/btrfs/inode.c", "/releases/v1.10", "/api/v1/subsystems", "/badge/fs.svg",
                        "/feeds/additions.atom"):  # fmt: skip
                assert client.get(url).status_code == 200, url
        reader = make_engine(reader_url)
        with reader.connect() as connection:
            can = {
                what: connection.execute(text(f"SELECT has_table_privilege('releases', '{what}')")).scalar_one()
                for what in ("SELECT", "INSERT", "UPDATE", "DELETE")
            }
        reader.dispose()
        assert can == {"SELECT": True, "INSERT": False, "UPDATE": False, "DELETE": False}
    finally:
        get_engine().dispose()
        _drop_deployment_roles()
