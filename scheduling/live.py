"""Live calendar updates (CAL-8): after a change commits, open calendars showing that doctor and day are told to
refresh it. Over Redis this reaches every web process; with the embedded in-memory layer only the local one, and the
calendar's slow polling covers the rest."""

from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from scheduling.slots import WARSAW

CALENDAR_GROUP = "calendar"


def calendar_changed(*, employee_id: int, day: datetime) -> None:
    message = {
        "type": "calendar.changed",
        "employee_id": employee_id,
        "date": day.astimezone(WARSAW).date().isoformat(),
    }
    transaction.on_commit(lambda: _broadcast(message))


def _broadcast(message: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(CALENDAR_GROUP, message)
