"""Reads of the audit log for Dane > Audyty and the API."""

from datetime import date, datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import AuditEvent


def audit_events_filter(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    actor: str = "",
    category: str = "",
    outcome: str = "",
    text: str = "",
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    tz = timezone.get_current_timezone()
    if date_from:
        events = events.filter(occurred_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        events = events.filter(occurred_at__lte=datetime.combine(date_to, time.max, tzinfo=tz))
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if category:
        events = events.filter(category=category)
    if outcome:
        events = events.filter(outcome=outcome)
    if text:
        events = events.filter(Q(message__icontains=text) | Q(object_repr__icontains=text))
    return events
