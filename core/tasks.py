"""Periodic work shared by every app; the schedule itself is in config/celery.py."""

import logging

from celery import shared_task

from core.services import housekeeping_run

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def housekeeping() -> None:
    removed = housekeeping_run()
    logger.info("Housekeeping removed %(sessions)d sessions and %(login_attempts)d login counters", removed)
