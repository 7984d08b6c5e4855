"""The outbox drains by itself (OSZ-3): a real `celery -A config worker` on Redis picks up the drain enqueued after
commit, with no test calling it. Runs where REDIS_URL is set (CI); the worker process must reach the test database,
so it needs PostgreSQL rather than SQLite's in-memory test database."""

import os
import subprocess
import sys
import tempfile
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
    pytest.mark.other_process,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker on Redis"),
    pytest.mark.django_db(transaction=True),
    # Its worker reads the default queue, as tests/test_loop_burst.py's does: one at a time, or each takes the other's
    # drains (make test runs xdist with --dist loadgroup).
    pytest.mark.xdist_group("celery-default-queue"),
]

ROOT = Path(__file__).resolve().parents[1]


def _database_url() -> str:
    db = db_connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("a worker process cannot reach SQLite's in-memory test database; run with DATABASE_URL")
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_start(settings, *, queues: str = "celery", options: tuple[str, ...] = (), **env) -> subprocess.Popen:
    """A Celery worker of the product (solo pool) reading `queues`, on this test's database, once it answers a ping;
    `env` adds settings from the environment. Fails the test if it does not start."""
    name = f"osoz-test-{uuid.uuid4().hex[:8]}@localhost"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        # The worker decrypts the OSOZ client secret the test stored, so it needs the same keys.
        "SECRETS_ENCRYPTION_KEYS": ",".join(settings.SECRETS_ENCRYPTION_KEYS),
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--hostname", name]
    # Its log goes to a file: a pipe nobody reads would stop the worker once full.
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by worker_stop
    worker = subprocess.Popen(
        [*command, "--queues", queues, *options, "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    worker.log = log
    deadline = time.monotonic() + 30
    while not app.control.ping(destination=[name], timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            log.seek(0)
            pytest.fail(f"the Celery worker did not start:\n{log.read()}")
    return worker


def worker_stop(worker: subprocess.Popen) -> None:
    """Stop it as a supervisor would: SIGTERM, then SIGKILL if it lingers (a worker SIGKILLed already is simply
    reaped)."""
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    worker.log.close()


@pytest.fixture
def celery_worker(settings):
    worker = worker_start(settings, OSOZ_BACKOFF_SECONDS="0.05")
    yield
    worker_stop(worker)


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
