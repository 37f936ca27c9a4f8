#!/bin/sh
# Runs once, when the db volume is created: a role the web app uses, which can read and nothing else.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v reader_password="$NOFS_READER_PASSWORD" <<'SQL'
CREATE ROLE nofs_reader LOGIN PASSWORD :'reader_password';
GRANT CONNECT ON DATABASE nofs TO nofs_reader;
GRANT USAGE ON SCHEMA public TO nofs_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE nofs IN SCHEMA public GRANT SELECT ON TABLES TO nofs_reader;
SQL
