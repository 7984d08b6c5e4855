"""The booking events feed (OSZ-4): the catch-up path that makes sure no booking made on OSOZ is missed.

Pulled every OSOZ_BOOKING_PULL_SECONDS by the beat and at once when OSOZ nudges. Pages are fetched outside any
transaction; each page is then applied in one transaction that also stores the cursor after it, so a worker killed
mid-page leaves the cursor where it was and nothing of the page applied, and the next pull repeats it harmlessly.
Pullers never apply the same page twice: the page's transaction locks the connection row and goes ahead only if the
cursor is still the one the page was fetched after. Each event id is applied once (`InboundEvent`), each booking
once (`bookings.bookings_apply`, which takes a page's new bookings as one set)."""

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.models import AuditCategory, AuditOutcome
from core.services import audit_record
from osoz_integration import bookings, interface, monitor, publication, tasks
from osoz_integration.client import OsozError, OsozPermanentError
from osoz_integration.models import Connection, InboundEvent, InboundEventSource, OsozBookingPath
from osoz_integration.selectors import connection_client, connection_get
from scheduling import live

logger = logging.getLogger(__name__)

# The contract's largest page: fewer round trips and transactions per event when a backlog is caught up.
PAGE_LIMIT = 500


@dataclass
class PullResult:
    pages: int = 0
    applied: int = 0  # events applied now
    duplicates: int = 0  # events delivered again and skipped
    failed: bool = False


def booking_events_pull_request() -> None:
    """Ask a worker to pull now. If the broker is unreachable the beat's next pull catches up."""
    try:
        tasks.booking_events_pull.apply_async(retry=False)
    except OperationalError:
        logger.warning("Celery broker unreachable; the OSOZ booking feed waits for the periodic pull")


def _event_booking(event: interface.BookingEvent) -> interface.Booking | None:
    """The booking an event is about, or None for an event to skip."""
    if event.type not in (interface.BOOKING_CREATED, interface.BOOKING_CANCELLED_BY_PATIENT):
        return None  # a newer event type: the contract says to skip it
    try:
        return interface.Booking.from_json(event.booking)
    except interface.PayloadError as error:
        # It can never be applied; holding the feed back for it would stop every later booking.
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_event_malformed",
            message=f"Pominięto zdarzenie z OSOZ {event.event_id} ({event.type}): {error.message}",
            actor_label="OSOZ",
            outcome=AuditOutcome.FAILURE,
        )
        return None


def _events_apply(events: list[interface.BookingEvent], now: datetime) -> None:
    """Apply events in feed order. Each run of new bookings is applied as one set (`bookings.bookings_apply`); a
    cancellation, or a booking already in the run, closes the run first, so nothing is applied out of order. Each
    new booking's personal data start being opened on the pool's threads as soon as it is read."""
    run: dict[str, interface.Booking] = {}
    with ThreadPoolExecutor(bookings.OPEN_THREADS) as pool:
        cache = bookings.ApplyCache(pool=pool)

        def run_apply() -> None:
            if run:
                bookings.bookings_apply(list(run.values()), path=OsozBookingPath.FEED, cache=cache, now=now)
                run.clear()

        for event in events:
            booking = _event_booking(event)
            if booking is None:
                continue
            if event.type != interface.BOOKING_CREATED or booking.booking_id in run:
                run_apply()
            if event.type == interface.BOOKING_CREATED:
                run[booking.booking_id] = booking
                cache.open_ahead(booking)
            else:
                bookings.booking_patient_cancel_apply(booking=booking, cache=cache, now=now)
        run_apply()


@transaction.atomic
def _page_apply(page: interface.BookingEventPage, *, after: str, now: datetime, result: PullResult) -> bool:
    """Apply the page's new events and store the cursor after it; False if another puller got there first."""
    connection = Connection.objects.select_for_update().get(pk=Connection.SINGLETON_ID)
    if connection.booking_cursor != after:
        return False
    ids = [uuid.UUID(event.event_id) for event in page.events]
    seen = set(InboundEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    new = []
    for event_id, event in zip(ids, page.events, strict=True):
        if event_id in seen:
            result.duplicates += 1
            continue
        seen.add(event_id)
        new.append(event)
    # A doctor's free slots are republished, and his open calendars refreshed, once per page rather than per event.
    with publication.publication_batch(), live.calendar_changes():
        _events_apply(new, now)
    InboundEvent.objects.bulk_create(
        InboundEvent(event_id=event.event_id, source=InboundEventSource.FEED, received_at=now) for event in new
    )
    result.applied += len(new)
    connection.booking_cursor = page.next_cursor
    connection.last_pull_at = now
    connection.save(update_fields=["booking_cursor", "last_pull_at"])
    result.pages += 1
    return True


def _pull_failed(error: OsozError) -> None:
    """Record the failure for the connection monitor; audit it once per run of identical failures, not every pull."""
    before = connection_get()
    repeated = (
        before.last_error == error.message
        and before.last_error_at is not None
        and (before.last_success_at is None or before.last_error_at > before.last_success_at)
    )
    publication.connection_exchange_record(error=error.message, unreachable=monitor.error_is_outage(error))
    if not repeated:
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_pull_failed",
            message=(
                f"Nie udało się pobrać rezerwacji z OSOZ: {error.message.rstrip('.')}. Poradnia ponawia próbę co "
                f"{settings.OSOZ_BOOKING_PULL_SECONDS} s; rezerwacje nie przepadną, dotrą po przywróceniu połączenia."
            ),
            target=before,
            outcome=AuditOutcome.FAILURE,
        )


def _cursor_reset(cursor: str, error: OsozError) -> None:
    """OSOZ no longer knows the stored cursor (older than its 30 days): start from its oldest retained event.
    Events applied before are recognised by their booking ids, so nothing is applied twice."""
    if Connection.objects.filter(pk=Connection.SINGLETON_ID, booking_cursor=cursor).update(booking_cursor=""):
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_cursor_reset",
            message=(
                f"OSOZ nie przyjął zapamiętanego miejsca w strumieniu rezerwacji ({error.message.rstrip('.')}); "
                "pobieranie zaczyna się od najstarszego zdarzenia, które OSOZ przechowuje. Rezerwacje już przyjęte "
                "zostaną rozpoznane i pominięte."
            ),
            outcome=AuditOutcome.FAILURE,
        )


def booking_events_pull(*, limit: int = PAGE_LIMIT, now: datetime | None = None) -> PullResult:
    """Pull and apply every waiting booking event, page by page from the stored cursor. Safe to run in several
    workers at once and to repeat."""
    result = PullResult()
    connection = connection_get()
    if not connection.is_active:
        return result
    cursor = connection.booking_cursor
    with connection_client(connection) as client:
        while True:
            try:
                page = client.booking_events_list(after=cursor, limit=limit)
            except OsozPermanentError as error:
                if error.status == 400 and cursor:
                    _cursor_reset(cursor, error)
                    cursor = connection_get().booking_cursor
                    continue
                _pull_failed(error)
                result.failed = True
                return result
            except OsozError as error:
                _pull_failed(error)
                result.failed = True
                return result
            if not _page_apply(page, after=cursor, now=now or timezone.now(), result=result):
                # Another puller applied this page; go on from where it stopped.
                cursor = connection_get().booking_cursor
                continue
            publication.connection_exchange_record()
            if not page.has_more or page.next_cursor == cursor:
                return result
            cursor = page.next_cursor
