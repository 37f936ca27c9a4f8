"""The PostgreSQL server the tests use: its admin connection, and databases made and dropped through it."""

import itertools
import os

import psycopg

POSTGRES_ADMIN = os.environ.get("NOFS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TEMPLATE = f"nofs_template_{os.getpid()}"  # a migrated database each PostgreSQL test copies
_counter = itertools.count()


def pg_url(database: str) -> str:
    """The SQLAlchemy URL of a database on the test server."""
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{database}"


def admin(sql: str) -> None:
    """One statement as the server's administrator, outside a transaction (CREATE/DROP DATABASE)."""
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(sql)


def copy_of(template: str) -> str:
    """A new database made from the template (CREATE DATABASE … TEMPLATE is fast); its name."""
    name = f"nofs_test_{os.getpid()}_{next(_counter)}"
    admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name
