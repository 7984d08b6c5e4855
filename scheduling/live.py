"""Live calendar updates (CAL-8): after a change commits, open calendars showing that doctor and day are told to
refresh it. Over Redis this reaches every web process; with the embedded in-memory layer only the local one, and the
calendar's slow polling covers the rest.

Changes are collected per doctor and day and broadcast once each after the commit: a single change at the end of its
call, and a batch of changes (e.g. a page of online bookings applied in one transaction, `calendar_changes()`) when
the batch ends."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from scheduling.slots import WARSAW

CALENDAR_GROUP = "calendar"

# The (employee_id, ISO date) pairs changed in the innermost open batch of this thread or task.
_changed: ContextVar[dict[tuple[int, str], None] | None] = ContextVar("calendar_changed", default=None)


@contextmanager
def calendar_changes() -> Iterator[None]:
    """Collect the calendar changes made inside the block and broadcast each doctor's day once, after the
    transaction the block runs in commits. A block inside another one joins it. A change in a savepoint rolled back
    later is still broadcast: calendars then refresh a day that did not change, which costs one read."""
    if _changed.get() is not None:
        yield
        return
    changed: dict[tuple[int, str], None] = {}
    token = _changed.set(changed)
    try:
        yield
    finally:
        _changed.reset(token)
    if changed:
        messages = [
            {"type": "calendar.changed", "employee_id": employee_id, "date": day} for employee_id, day in changed
        ]
        transaction.on_commit(lambda: _broadcast(messages))


def calendar_changed(*, employee_id: int, day: datetime) -> None:
    with calendar_changes():
        _changed.get()[(employee_id, day.astimezone(WARSAW).date().isoformat())] = None


async def _group_send(layer, messages: list[dict]) -> None:
    for message in messages:
        await layer.group_send(CALENDAR_GROUP, message)


def _broadcast(messages: list[dict]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(_group_send)(layer, messages)
