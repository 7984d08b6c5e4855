"""The embedded Celery broker (no REDIS_URL): a kombu virtual transport on a SQLite file of its own in var/.

It replaces kombu's filesystem transport, whose publisher creates a message file before writing into it: a worker
listing the folder in between read an empty message and died of a JSONDecodeError. Here a message is one row, written
by one INSERT and claimed by one conditional DELETE, each a transaction of its own, so a worker is handed a whole
message or none, and the file holds only what waits. As with the transport it replaces, a message is the worker's once
taken: one killed mid-task loses it, and the beat schedule's catch-up runs (config/celery.py) make up for it.
"""

import os
import sqlite3
import time
from functools import cached_property
from queue import Empty

from kombu.transport import virtual
from kombu.utils.json import dumps, loads

SCHEMA = (
    # Readers never wait for the writer; writers queue on the busy timeout. A crash of any process loses nothing
    # committed; a power cut may lose the last messages, never the file (as the demo's database, config.settings).
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "CREATE TABLE IF NOT EXISTS message ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, payload TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS message_queue ON message (queue, id)",
)


class Channel(virtual.Channel):
    @cached_property
    def database(self) -> sqlite3.Connection:
        """The channel's connection in autocommit mode: each statement below is a transaction of its own. A producer's
        channel passes between the web server's threads, one at a time, hence check_same_thread=False."""
        path = self.connection.client.virtual_host
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))  # owner-only, like the database beside it
        database = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
        for statement in SCHEMA:
            database.execute(statement)
        return database

    def _put(self, queue, message, **kwargs):
        self.database.execute("INSERT INTO message (queue, payload) VALUES (?, ?)", (queue, dumps(message)))

    def _get(self, queue):
        # The oldest message is claimed by deleting it: of two workers that read the same row, the one whose DELETE
        # changed nothing goes on to the next.
        select = "SELECT id, payload FROM message WHERE queue = ? ORDER BY id LIMIT 1"
        while row := self.database.execute(select, (queue,)).fetchone():
            if self.database.execute("DELETE FROM message WHERE id = ?", (row[0],)).rowcount == 1:
                return loads(row[1])
        raise Empty()

    def _size(self, queue):
        return self.database.execute("SELECT count(*) FROM message WHERE queue = ?", (queue,)).fetchone()[0]

    def _purge(self, queue):
        return self.database.execute("DELETE FROM message WHERE queue = ?", (queue,)).rowcount

    def drain_events(self, timeout=None, callback=None):
        # With its prefetch in hand the worker would sleep a whole polling interval (kombu's virtual transport);
        # the pool takes a task within a millisecond or two, so wait for that in short steps instead.
        deadline = time.monotonic() + self.connection.polling_interval
        while self._consumers and not self.qos.can_consume() and time.monotonic() < deadline:
            time.sleep(0.002)
        return super().drain_events(timeout=timeout, callback=callback)

    def close(self):
        super().close()
        if "database" in self.__dict__:
            self.__dict__.pop("database").close()


class Transport(virtual.Transport):
    Channel = Channel
    driver_type = "sqlite"
    driver_name = "sqlite3"
    # A poll is one indexed SELECT, so it polls often: a task enqueued after commit starts within 0.1 s, and a worker
    # holding its prefetch (kombu then sleeps one interval) is not held back a whole second, kombu's default.
    polling_interval = 0.1
    # A lock held past the busy timeout is the broker being unreachable: Celery reconnects and retries.
    connection_errors = (*virtual.Transport.connection_errors, sqlite3.OperationalError)

    # A file has no host: without this kombu warns of a missing hostname on every connection it clones.
    default_connection_params = {}

    def driver_version(self):
        return sqlite3.sqlite_version
