"""The Celery application; the beat schedule is declared here and nowhere else."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poradnia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "housekeeping-nightly": {
        "task": "core.tasks.housekeeping",
        "schedule": crontab(hour=3, minute=15),
    },
}
