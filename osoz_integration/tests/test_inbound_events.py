import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from osoz_integration.models import InboundEvent, InboundEventSource
from osoz_integration.tasks import inbound_events_prune

pytestmark = pytest.mark.django_db


def test_event_ids_older_than_two_days_are_forgotten():
    now = timezone.now()
    for days, source in ((3, InboundEventSource.FEED), (2.1, InboundEventSource.WEBHOOK)):
        InboundEvent.objects.create(event_id=uuid.uuid4(), source=source, received_at=now - timedelta(days=days))
    kept = [
        InboundEvent.objects.create(event_id=uuid.uuid4(), source=source, received_at=now - timedelta(days=days))
        for days, source in ((1.9, InboundEventSource.FEED), (0, InboundEventSource.WEBHOOK))
    ]

    inbound_events_prune()

    assert set(InboundEvent.objects.values_list("event_id", flat=True)) == {event.event_id for event in kept}
