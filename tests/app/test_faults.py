"""The database down under the web app: 503 pages and JSON, then recovery without a restart."""

import time
from pathlib import Path

from sqlalchemy import Engine, text

from app.web.response_cache import VERSION_TTL
from ingest.run import IngestOptions, ingest
from tests.app.test_pages import fresh_client
from tests.conftest import _admin as admin
from tests.kernel_like import build_history


def test_database_down_then_back(pg_engine: Engine, tmp_path: Path) -> None:
    build_history(tmp_path / "linux")
    ingest(pg_engine, IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", jobs=1))
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
