"""Background work of the OSOZ integration; the beat schedule is in config/celery.py."""

from celery import shared_task

from osoz_integration import publication


# acks_late: a drain is idempotent (claims, versioned snapshots), so a task lost with its worker is simply redone.
@shared_task(acks_late=True)
def outbox_drain() -> None:
    if publication.outbox_drain().more:
        publication.outbox_drain_request()


@shared_task
def publication_refresh() -> None:
    """Nightly: resend everything, so the window of published free slots moves on and any drift is repaired."""
    publication.publication_enqueue_all()
