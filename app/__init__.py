"""nofs read side: settings, database, models and the queries the pages, the API and reports share."""
