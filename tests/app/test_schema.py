from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from app.db import Base
from app.schema import current_revision, head_revision, upgrade


def test_migrations_make_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_database_is_at_head_and_upgrade_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() is not None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert {"releases", "blobs", "occurrences", "path_counts", "subsystem_counts"} <= set(
        inspect(engine).get_table_names()
    )
