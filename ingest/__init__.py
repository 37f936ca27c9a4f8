"""nofs ingest worker: reads a kernel git repository release by release into the database."""
