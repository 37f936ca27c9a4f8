"""Fixtures: real migrated databases (SQLite and PostgreSQL) and real git repositories."""

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import make_engine
from app.settings import get_settings
from migrations.runner import upgrade

POSTGRES_ADMIN = os.environ.get("NOFS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
_TEMPLATE = f"nofs_template_{os.getpid()}"
_counter = itertools.count()


def _pg_url(database: str) -> str:
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{database}"


def _admin(sql: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated database that each PostgreSQL test copies (CREATE DATABASE … TEMPLATE is fast)."""
    _admin(f'DROP DATABASE IF EXISTS "{_TEMPLATE}"')
    _admin(f'CREATE DATABASE "{_TEMPLATE}"')
    engine = make_engine(_pg_url(_TEMPLATE))
    upgrade(engine)
    engine.dispose()
    yield _TEMPLATE
    _admin(f'DROP DATABASE IF EXISTS "{_TEMPLATE}" WITH (FORCE)')


def _copy_of(template: str) -> str:
    name = f"nofs_test_{os.getpid()}_{next(_counter)}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


@pytest.fixture
def pg_engine(postgres_template: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated PostgreSQL database, for what only a server database does (several writers)."""
    name = _copy_of(postgres_template)
    monkeypatch.setenv("DATABASE_URL", _pg_url(name))
    monkeypatch.setenv("NOFS_CACHE_DIR", str(tmp_path / "cache"))
    engine = make_engine(_pg_url(name))
    yield engine
    engine.dispose()
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of a fresh, migrated database of each kind; also set as DATABASE_URL for the code under test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nofs.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        name = None
    else:
        name = _copy_of(request.getfixturevalue("postgres_template"))
        url = _pg_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("NOFS_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    if name is not None:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


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
