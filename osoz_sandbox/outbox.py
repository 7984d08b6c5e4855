"""Reads of the notifications outbox (SBX-7): what the platform has sent patients and clinics, newest first."""

import uuid

from django.db.models import QuerySet
from django.utils import timezone

from osoz_sandbox.models import Notification


def notifications_list(*, recipient: str = "", booking_id: uuid.UUID | None = None) -> QuerySet[Notification]:
    found = Notification.objects.select_related("entity", "booking")
    if recipient:
        found = found.filter(recipient__iexact=recipient.strip())
    if booking_id is not None:
        found = found.filter(booking__booking_id=booking_id)
    return found.order_by("-created_at", "-pk")


def notification_state(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "entity_id": notification.entity.entity_id,
        "booking_id": str(notification.booking.booking_id) if notification.booking else None,
        "channel": notification.channel,
        "recipient": notification.recipient,
        "subject": notification.subject,
        "body": notification.body,
        "created_at": timezone.localtime(notification.created_at).isoformat(),
    }
