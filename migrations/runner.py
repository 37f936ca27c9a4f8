"""Run and inspect Alembic migrations programmatically (`nofs db upgrade`, `nofs db revision`, tests,
`nofs ingest`); it lives beside the migrations it runs.

Alembic is imported only when a migration runs: checking that a database is current takes one query,
and a no-op `nofs ingest` would otherwise spend a fifth of its time importing Alembic.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent
VERSION_TABLE: Final = "alembic_version"
HEAD_REVISION: Final = "0010"  # the newest migration's revision; a test holds it to Alembic's head


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema; a no-op when it is already there."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def revision(engine: Engine, message: str) -> str:
    """Write a new migration that takes a database at head to the models (Alembic's autogenerate); the
    path of the new file. The database must be at head: the models are compared with it."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    number = f"{int(HEAD_REVISION) + 1:04d}"
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        script = command.revision(config, message=message, autogenerate=True, rev_id=number)
    assert script is not None and not isinstance(script, list)
    return str(script.path)


def upgrade_if_behind(engine: Engine) -> None:
    """What `nofs ingest` does first: one query when the schema is current, the migrations otherwise."""
    if current_revision(engine) != HEAD_REVISION:
        upgrade(engine)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
