"""Fixtures: real migrated databases (SQLite and PostgreSQL) and real git repositories."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import make_engine
from app.settings import get_settings
from migrations.runner import upgrade
from tests.databases import TEMPLATE, admin, copy_of, pg_url


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated database that each PostgreSQL test copies (CREATE DATABASE … TEMPLATE is fast)."""
    admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
    admin(f'CREATE DATABASE "{TEMPLATE}"')
    engine = make_engine(pg_url(TEMPLATE))
    upgrade(engine)
    engine.dispose()
    yield TEMPLATE
    admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@pytest.fixture
def pg_engine(postgres_template: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated PostgreSQL database, for what only a server database does (several writers)."""
    name = copy_of(postgres_template)
    monkeypatch.setenv("DATABASE_URL", pg_url(name))
    monkeypatch.setenv("NOFS_CACHE_DIR", str(tmp_path / "cache"))
    engine = make_engine(pg_url(name))
    yield engine
    engine.dispose()
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
        name = copy_of(request.getfixturevalue("postgres_template"))
        url = pg_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("NOFS_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    if name is not None:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
