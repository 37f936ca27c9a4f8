"""Engine, declarative base and sessions; the web's per-request session is app.request.get_db."""

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.settings import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the dashboard read while an ingest writes; foreign keys make cascades real.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens a transaction only before a write, so each SELECT saw the newest commit: a page's
    # release list and its values could come from either side of an ingest's commit. BEGIN ourselves.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """An engine whose transactions are real on every backend: on SQLite a transaction (a snapshot, in
    WAL mode) starts with its first statement, as on PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_no_implicit_transactions)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


_MISSING_SCHEMA = ("no such table", "does not exist", "undefinedtable")


def is_missing_schema(exc: BaseException) -> bool:
    """True when a database error says the tables are not there: nothing was ever ingested into it."""
    return any(marker in str(getattr(exc, "orig", None) or exc).lower() for marker in _MISSING_SCHEMA)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


@lru_cache
def get_engine() -> Engine:
    """The web's engine: each request reads one snapshot (REPEATABLE READ on PostgreSQL, where READ
    COMMITTED would give each statement its own; a transaction is a snapshot on SQLite in WAL mode)."""
    engine = make_engine(get_settings().database_url)
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)
