"""Readers while an ingest commits: every request reads one snapshot, on SQLite and PostgreSQL."""

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import Engine

from app.db import get_engine
from ingest.run import IngestOptions, ingest
from ingest.tags import TagSelection
from tests.app.test_browser import _free_port
from tests.app.test_pages import fresh_client
from tests.kernel_like import build_wide_history

CLIENTS = 8
LOAD_SECONDS = 60  # at most: the load stops when the ingest is done
URLS = [
    "/",
    "/subsystems",
    "/tree/fs/ext4",
    "/tree/fs/ext4/f3.c",
    "/releases",
    "/slides",
    "/charts/trend.vl.json",
    "/api/v1/subsystems",
    "/api/v1/tree/fs",
    "/api/v1/files/fs/ext4/f3.c/history",
    "/api/v1/releases",
    "/badge/fs/ext4.svg",
]


def test_no_request_fails_while_releases_are_committed(engine: Engine, db_url: str, tmp_path: Path) -> None:
    import uvicorn

    from app.main import create_app

    build_wide_history(tmp_path / "linux")
    cache = tmp_path / "cache"
    ingest(engine, IngestOptions(str(tmp_path / "linux"), cache, TagSelection(until="v3.2"), jobs=1))
    fresh_client().close()  # settings, engine and caches for this database
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    while not server.started:
        time.sleep(0.05)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    done = threading.Event()

    def load(offset: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            index = offset
            deadline = time.monotonic() + LOAD_SECONDS
            while not done.is_set() and time.monotonic() < deadline:
                url = URLS[index % len(URLS)]
                index += 1
                answer = client.get(url)
                statuses[answer.status_code] += 1
                if answer.status_code >= 500:
                    failures.append(f"{url}: {answer.status_code} {answer.text[:200]}")

    clients = [threading.Thread(target=load, args=(n,)) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    try:
        stats = ingest(engine, IngestOptions(str(tmp_path / "linux"), cache, TagSelection(until="v3.40"), jobs=1))
    finally:
        done.set()
        for client in clients:
            client.join()
        server.should_exit = True
        serving.join(timeout=10)
        get_engine().dispose()
    assert len(stats.releases_ingested) == 38  # each committed while the load ran
    assert failures == [] and sum(statuses.values()) > 100, statuses
