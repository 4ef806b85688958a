"""newsvault's storage layer: the SQLite archive and its exports. Never imports the crawler."""
