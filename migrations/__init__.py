"""Alembic migrations: the only way the nofs schema is made or changed."""
