from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from core.tasks import housekeeping

pytestmark = pytest.mark.django_db


def test_housekeeping_drops_expired_sessions_and_old_login_counters():
    expired, live = SessionStore(), SessionStore()
    expired.set_expiry(-10)
    expired.save()
    live.save()
    old = AccessAttempt.objects.create(username="x", ip_address="127.0.0.1", user_agent="", failures_since_start=3)
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - timedelta(hours=2))
    fresh = AccessAttempt.objects.create(username="y", ip_address="127.0.0.1", user_agent="", failures_since_start=1)

    housekeeping()

    assert not SessionStore().exists(expired.session_key) and SessionStore().exists(live.session_key)
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [fresh.pk]
