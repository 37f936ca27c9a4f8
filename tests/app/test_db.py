"""Readers while an ingest commits: every request reads one snapshot, on SQLite and PostgreSQL."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import Engine

from app.db import get_engine
from ingest.run import IngestOptions, IngestStats, ingest
from ingest.tags import TagSelection
from tests.kernel_like import build_wide_history
from tests.web import fresh_client, live_server

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
    build_wide_history(tmp_path / "linux")
    cache = tmp_path / "cache"
    ingest(engine, IngestOptions(str(tmp_path / "linux"), cache, TagSelection(until="v3.2"), jobs=1))
    fresh_client().close()  # settings, engine and caches for this database
    rest = IngestOptions(str(tmp_path / "linux"), cache, TagSelection(until="v3.40"), jobs=1)
    runs: list[IngestStats] = []
    with live_server() as url:
        statuses, failures = _load_while(lambda: runs.append(ingest(engine, rest)), url)
    get_engine().dispose()
    assert len(runs[0].releases_ingested) == 38  # each committed while the load ran
    assert failures == [] and sum(statuses.values()) > 100, statuses


def _load_while(work: Callable[[], object], base_url: str) -> tuple[Counter[int], list[str]]:
    """CLIENTS threads loading URLS while `work` runs; the status codes seen and the 5xx answers."""
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    done = threading.Event()

    def load(offset: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
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
        work()
    finally:
        done.set()
        for client in clients:
            client.join()
    return statuses, failures
