"""The database down under the web app: 503 pages and JSON, then recovery without a restart."""

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app.db import make_engine
from app.web.response_cache import VERSION_TTL
from ingest.run import IngestOptions, ingest
from tests.app.test_pages import fresh_client
from tests.conftest import _admin as admin
from tests.kernel_like import WITH_STABLE, build_history


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


def test_the_web_app_needs_only_a_read_only_role(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_history(tmp_path / "linux")
    ingest(pg_engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1))
    with pg_engine.connect() as connection:
        name = connection.execute(text("SELECT current_database()")).scalar_one()
    role = f"{name}_reader"
    admin(f'CREATE ROLE "{role}" LOGIN')
    try:
        with pg_engine.begin() as connection:  # what deploy/initdb/10-reader-role.sh grants, and no more
            connection.execute(text(f'GRANT CONNECT ON DATABASE "{name}" TO "{role}"'))
            connection.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
            connection.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
        reader_url = str(pg_engine.url.set(username=role).render_as_string(hide_password=False))
        monkeypatch.setenv("DATABASE_URL", reader_url)
        with fresh_client() as client:
            for url in (
                "/",
                "/tree/fs/btrfs/inode.c",
                "/releases/v1.10",
                "/api/v1/subsystems",
                "/feeds/additions.atom",
            ):
                assert client.get(url).status_code == 200, url
        reader = make_engine(reader_url)
        with reader.connect() as connection:
            denied = connection.execute(text("SELECT has_table_privilege('releases', 'INSERT')")).scalar_one()
        reader.dispose()
        assert denied is False
    finally:
        with pg_engine.begin() as connection:
            connection.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"'))
            connection.execute(text(f'REVOKE USAGE ON SCHEMA public FROM "{role}"'))
            connection.execute(text(f'REVOKE CONNECT ON DATABASE "{name}" FROM "{role}"'))
        pg_engine.dispose()
        admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'")
        admin(f'DROP ROLE "{role}"')
