"""Periodic work of scheduling; the schedule itself is in config/celery.py."""

from celery import shared_task

from scheduling.services import slot_holds_expire


@shared_task(acks_late=True)
def slot_holds_sweep() -> int:
    """Delete the slot holds that lapsed, so OSOZ and open calendars hear the slots are free again. Safe to run twice
    or side by side: each hold is claimed under a row lock."""
    return slot_holds_expire()
