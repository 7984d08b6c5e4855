"""`task_request`: however many callers ask for a task, one message waits in the broker; a started task takes the
request, so the next ask queues it again; a broker that is down or a message that was lost never blocks it for good."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from kombu.exceptions import OperationalError

from core import tasks
from core.models import TaskRequest
from core.services import TASK_REQUEST_LOST_AFTER, task_request, task_request_taken

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[dict]:
    """The messages the broker was given for the housekeeping task (any task without arguments would do)."""
    sent = []
    monkeypatch.setattr(tasks.housekeeping, "apply_async", lambda **options: sent.append(options))
    return sent


def test_many_requests_queue_the_task_once(queued):
    results = [task_request(tasks.housekeeping) for _ in range(100)]

    assert results == [True] + [False] * 99
    assert queued == [{"retry": False}]
    assert TaskRequest.objects.get().task == tasks.housekeeping.name


def test_a_request_after_the_task_started_queues_it_again(queued):
    task_request(tasks.housekeeping)
    task_request_taken(tasks.housekeeping)

    assert task_request(tasks.housekeeping) is True
    assert task_request(tasks.housekeeping) is False
    assert len(queued) == 2


def test_a_broker_that_is_down_leaves_the_next_request_free_to_queue(monkeypatch, queued):
    def broker_down(**options):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.housekeeping, "apply_async", broker_down)
    assert task_request(tasks.housekeeping) is False
    assert TaskRequest.objects.get().requested_at is None

    monkeypatch.setattr(tasks.housekeeping, "apply_async", lambda **options: queued.append(options))
    assert task_request(tasks.housekeeping) is True
    assert len(queued) == 1


def test_a_request_never_taken_is_taken_for_lost_and_queued_again(clock, queued):
    task_request(tasks.housekeeping)
    clock.shift(TASK_REQUEST_LOST_AFTER - timedelta(seconds=5))
    assert task_request(tasks.housekeeping) is False

    clock.shift(timedelta(seconds=10))
    assert task_request(tasks.housekeeping) is True
    assert len(queued) == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the race is run against PostgreSQL (CI sets DATABASE_URL)"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_queue_the_task_once(queued):
    """Callers in threads of their own (each its own database connection), all at once, before any row exists."""
    start = threading.Barrier(16)

    def ask() -> bool:
        try:
            start.wait()
            return task_request(tasks.housekeeping)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: ask(), range(16)))

    assert results.count(True) == 1 and len(queued) == 1
