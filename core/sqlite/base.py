"""Django's SQLite backend, as the embedded default runs it.

- The database file is created readable by its owner only (0600), like the secret files beside it; SQLite gives its
  -wal and -shm files the same mode.
- The audit trail's DELETE trigger (core migration 0003) asks `poradnia_flushing()`, a function only this backend
  registers, and it answers yes only while `flush` empties every table (the test runner's flush between
  transactional tests, `manage.py flush`). A row delete from the ORM or raw SQL, or from a tool that lacks the
  function, is refused.
"""

import os

from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def execute_sql_flush(self, sql_list):
        self.connection.flushing = True
        try:
            super().execute_sql_flush(sql_list)
        finally:
            self.connection.flushing = False


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.flushing = False

    def get_new_connection(self, conn_params):
        if not self.is_in_memory_db():
            path = self.settings_dict["NAME"]
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
            os.chmod(path, 0o600)
        conn = super().get_new_connection(conn_params)
        conn.create_function("poradnia_flushing", 0, lambda: self.flushing)
        return conn
