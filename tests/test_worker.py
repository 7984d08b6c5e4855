"""The outbox drains by itself (OSZ-3): a real `celery -A config worker` on Redis picks up the drain enqueued after
commit, with no test calling it. Runs where REDIS_URL is set (CI); the worker process must reach the test database,
so it needs PostgreSQL rather than SQLite's in-memory test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection as db_connection

from config.celery import app
from osoz_integration.selectors import outbox_pending
from osoz_integration.tests.conftest import connect
from osoz_integration.tests.test_publication import Sandbox, book, engine_slots

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker on Redis"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[1]


def _database_url() -> str:
    db = db_connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("a worker process cannot reach SQLite's in-memory test database; run with DATABASE_URL")
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker(settings):
    name = f"osoz-test-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        # The worker decrypts the OSOZ client secret the test stored, so it needs the same keys.
        "SECRETS_ENCRYPTION_KEYS": ",".join(settings.SECRETS_ENCRYPTION_KEYS),
        "OSOZ_BACKOFF_SECONDS": "0.05",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--hostname", name]
    worker = subprocess.Popen(
        [*command, "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not app.control.ping(destination=[name], timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail(f"the Celery worker did not start:\n{worker.stderr.read()}")
    yield
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    worker.stderr.close()


def _eventually(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_drains_the_outbox_by_itself(
    seeded_specialisations, celery_worker, published_clinic, osoz_sandbox_server, client_for, alice
):
    connect(client_for(alice), osoz_sandbox_server)
    assert _eventually(lambda: not outbox_pending().exists()), "the first publication was not drained"
    sandbox = Sandbox(osoz_sandbox_server)
    doctor = published_clinic.doctor
    assert sandbox.slots(doctor) == engine_slots(doctor)
    _schedule_id, starts_at = min(engine_slots(doctor), key=lambda slot: slot[1])
    book(doctor, starts_at)
    assert _eventually(lambda: starts_at not in {slot[1] for slot in sandbox.slots(doctor)})
    assert _eventually(lambda: not outbox_pending().exists())
