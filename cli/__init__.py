"""The `nofs` command line: a face over the worker (`ingest/`) and the read side (`app/queries`), printing the
same answers as the API (app/api/answers.py)."""
