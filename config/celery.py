"""The Celery application; the beat schedule is declared here and nowhere else."""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poradnia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# What must stay live whatever the publication backlog — bookings made on OSOZ coming in, and the outage notice — has
# a queue of its own, consumed by a worker of its own (docker-compose.yml, Procfile.demo); the rest goes to the
# default queue.
LIVE_QUEUE = "osoz-live"
app.conf.task_routes = {
    "osoz_integration.tasks.booking_events_pull": {"queue": LIVE_QUEUE},
    "osoz_integration.tasks.connection_monitor": {"queue": LIVE_QUEUE},
}

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
    # Reconciliation: what OSOZ shows compared with what Poradnia holds, differences repaired through the outbox. On
    # the default queue; a run missed while the worker was away is not worth catching up, the next one compares anew.
    "osoz-reconciliation": {
        "task": "osoz_integration.tasks.reconciliation",
        "schedule": settings.OSOZ_RECONCILIATION_MINUTES * 60.0,
        "options": {"expires": settings.OSOZ_RECONCILIATION_MINUTES * 60},
    },
    # A slot held in the patient portal lapses by itself (no read counts it once expired); this deletes the lapsed
    # holds and records the change, so OSOZ gets the slot back and open calendars redraw it. Runs never pile up.
    "scheduling-slot-holds-sweep": {
        "task": "scheduling.tasks.slot_holds_sweep",
        "schedule": 30.0,
        "options": {"expires": 30},
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
