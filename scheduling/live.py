"""Live calendar updates (CAL-8): after a change commits, open calendars showing that doctor and day are told to
refresh it. Over Redis this reaches every web process; with the embedded in-memory layer only the local one, and the
calendar's slow polling covers the rest.

`calendar_broadcast` listens to the recorded changes (core.changes, settings.CHANGE_LISTENERS), so a batch of
changes — a page of online bookings applied in one transaction — refreshes each doctor's day once."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.changes import Change
from scheduling.changes import CalendarChanged

CALENDAR_GROUP = "calendar"


def calendar_broadcast(changes: list[Change]) -> None:
    """Listener: tell open calendars about each changed doctor's day once the transaction commits."""
    messages = [
        {"type": "calendar.changed", "employee_id": change.employee_id, "date": change.day.isoformat()}
        for change in changes
        if isinstance(change, CalendarChanged)
    ]
    if messages:
        # Robust: a channel layer that is down (Redis) is logged, and the change the caller committed still stands;
        # open calendars catch up by their slow polling.
        transaction.on_commit(lambda: _broadcast(messages), robust=True)


def calendar_notice(*, employee_id: int, appointment_id: int, url: str) -> None:
    """Tell open calendars showing this doctor, once the transaction commits, to fetch a notice about one of his
    appointments from `url` and show it at once (a patient ready for his videoconsultation, televisit.services): only
    the address travels, and the page that answers it applies its own access rule."""
    message = {"type": "calendar.notice", "employee_id": employee_id, "appointment_id": appointment_id, "url": url}
    transaction.on_commit(lambda: _broadcast([message]), robust=True)


async def _group_send(layer, messages: list[dict]) -> None:
    for message in messages:
        await layer.group_send(CALENDAR_GROUP, message)


def _broadcast(messages: list[dict]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(_group_send)(layer, messages)
