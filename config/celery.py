"""The Celery application; the beat schedule is declared here and nowhere else."""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poradnia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "housekeeping-nightly": {
        "task": "core.tasks.housekeeping",
        "schedule": crontab(hour=3, minute=15),
    },
    # The catch-up path of the OSOZ outbox: changes are drained at once after commit; this picks up whatever a
    # missing worker or broker left behind. Expiring keeps a stopped worker from finding a pile of drains.
    "osoz-outbox-drain": {
        "task": "osoz_integration.tasks.outbox_drain",
        "schedule": 5.0,
        "options": {"expires": 5},
    },
    # The catch-up path of bookings made on OSOZ (OSZ-4): a nudge pulls at once, this pulls anyway in case a nudge
    # was lost. Expiring keeps a stopped worker from finding a pile of pulls.
    "osoz-booking-events-pull": {
        "task": "osoz_integration.tasks.booking_events_pull",
        "schedule": float(settings.OSOZ_BOOKING_PULL_SECONDS),
        "options": {"expires": settings.OSOZ_BOOKING_PULL_SECONDS},
    },
    # The connection monitor (OSZ-10): a missed run only delays the e-mail by a minute, so runs never pile up.
    "osoz-connection-monitor": {
        "task": "osoz_integration.tasks.connection_monitor",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "osoz-inbound-events-prune": {
        "task": "osoz_integration.tasks.inbound_events_prune",
        "schedule": crontab(hour=3, minute=20),
    },
    # The published window of free slots moves on by a day; the nightly resend also repairs any drift.
    "osoz-publication-refresh": {
        "task": "osoz_integration.tasks.publication_refresh",
        "schedule": crontab(hour=0, minute=5),
    },
}
