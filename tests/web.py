"""Reading the dashboard as a test does: a client of a fresh app on the database DATABASE_URL names, and a page's
text as a reader sees it."""

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from app import cache
from app.db import get_engine, make_engine
from app.main import create_app
from app.settings import get_settings

Serve = Callable[..., TestClient]  # tests/app/conftest.py's serve(build, commits): a client over an ingested history


def fresh_client() -> TestClient:
    """A client of a new app: settings, engine and query cache read afresh (DATABASE_URL may have changed)."""
    get_settings.cache_clear()
    get_engine.cache_clear()
    cache.clear()
    return TestClient(create_app())


def text_of(html: str) -> str:
    """A page's words, tags taken out and blanks folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@contextmanager
def ingested_sqlite(root: Path, build: Callable[[Path], object] | None = None) -> Iterator[str]:
    """A history (the kernel-like one by default) ingested, every line but release candidates, into an
    SQLite file that DATABASE_URL names while inside.

    For module-scoped fixtures (a live server, a schema fuzzer), which monkeypatch cannot serve.
    """
    from app import cache
    from app.db import get_engine
    from ingest.run import IngestOptions, ingest
    from tests.kernel_like import WITH_STABLE, build_history

    url = f"sqlite:///{root / 'nofs.sqlite3'}"
    (build or build_history)(root / "linux")
    engine = make_engine(url)
    ingest(engine, IngestOptions(str(root / "linux"), root / "cache", WITH_STABLE, jobs=1))
    engine.dispose()
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    cache.clear()
    try:
        yield url
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
        get_settings.cache_clear()
        get_engine.cache_clear()


@contextmanager
def live_server() -> Iterator[str]:
    """The dashboard in a uvicorn server on a free loopback port, for the database DATABASE_URL names."""
    import socket
    import threading
    import time

    import uvicorn

    from app.main import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
