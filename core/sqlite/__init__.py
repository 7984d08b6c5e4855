"""The SQLite backend of the embedded default (settings switch to it whenever DATABASE_URL names SQLite)."""
