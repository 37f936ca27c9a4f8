"""Alembic environment: the URL comes from the caller (migrations.runner) or from the settings."""

from alembic import context
from sqlalchemy import Connection

from app import models  # noqa: F401  (registers every table on Base.metadata)
from app.db import Base, make_engine
from app.settings import get_settings

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("nofs migrations run online only: use `nofs db upgrade`")
run_migrations_online()
