"""Background work of the OSOZ integration; the beat schedule is in config/celery.py."""

from celery import shared_task

from core.services import task_request_taken
from osoz_integration import monitor, outbox, publication


# acks_late: a drain is idempotent (claims, versioned snapshots), so a task lost with its worker is simply redone.
@shared_task(acks_late=True)
def outbox_drain() -> None:
    task_request_taken(outbox_drain)
    if outbox.outbox_drain().more:
        outbox.outbox_drain_request()


# acks_late: a pull stores its cursor with each applied page, so a pull lost with its worker is simply redone.
@shared_task(acks_late=True)
def booking_events_pull() -> None:
    # Imported here: the feed imports this module to ask for pulls.
    from osoz_integration import feed

    task_request_taken(booking_events_pull)
    feed.booking_events_pull()


# acks_late: applying the payers OSOZ lists makes Poradnia's match them, so a fetch lost with its worker is redone.
@shared_task(acks_late=True)
def payers_fetch() -> None:
    """„Pobierz płatników z OSOZ” (OSZ-9), on the default queue, requested by an administrator."""
    # Imported here: the request of a fetch imports this module to queue it.
    from osoz_integration import payers_in

    task_request_taken(payers_fetch)
    payers_in.payers_fetch()


@shared_task
def publication_refresh() -> None:
    """Nightly: resend everything, so the window of published free slots moves on and any drift is repaired."""
    publication.publication_enqueue_all()


@shared_task
def reconciliation() -> None:
    """Every OSOZ_RECONCILIATION_MINUTES: compare what OSOZ shows with what Poradnia holds and repair the differences
    through the outbox. A run that finds another under way does nothing."""
    # Imported here: reconciliation builds on the outbox, which imports this module to ask for drains.
    from osoz_integration import reconcile

    reconcile.reconciliation_run()


@shared_task
def inbound_events_prune() -> None:
    """Nightly: forget event ids too old to come back."""
    from osoz_integration import services

    services.inbound_events_prune()


@shared_task
def connection_monitor() -> None:
    """Every minute: tell administrators once when OSOZ has been unreachable for longer than they allow (OSZ-10)."""
    monitor.outage_alert()
