"""The booking events feed (OSZ-4): the catch-up path that makes sure no booking made on OSOZ is missed.

Pulled every OSOZ_BOOKING_PULL_SECONDS by the beat and at once when OSOZ nudges. Pages are read outside any
transaction, ahead of the page being applied (`_Reader`), so that the bookings of one are opened while the other is
written; each page is then applied in one transaction that also stores the cursor after it, so a worker killed
mid-page leaves the cursor where it was and nothing of the page applied, and the next pull repeats it harmlessly.
Pullers never apply the same page twice: the page's transaction locks the connection row and goes ahead only if the
cursor is still the one the page was fetched after. Each event id is applied once (`InboundEvent`), each booking
once (`bookings.bookings_apply`, which takes a page's new bookings as one set)."""

import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.actors import Actor
from core.changes import changes_collect
from core.models import AuditCategory, AuditOutcome
from core.services import audit_record, task_request
from core.text import clinic_text
from osoz_integration import bookings, interface, monitor, tasks
from osoz_integration.client import OsozClient, OsozError, OsozPermanentError
from osoz_integration.models import Connection, InboundEvent, InboundEventSource, OsozBookingPath
from osoz_integration.selectors import connection_client, connection_get
from osoz_integration.texts import phrase_lazy

# The contract's largest page: fewer round trips and transactions per event when a backlog is caught up.
PAGE_LIMIT = 500
# SQLite has one write lock for the whole database, and IMMEDIATE transactions take it at BEGIN: a page's transaction
# holds it until its commit, while every staff request waits for it to save its session. A 500-event page held it
# up to 1.4 s; pages this small about half a second at most.
SQLITE_PAGE_LIMIT = 100
# Then the lock is left free this long: a writer waiting on the busy timeout is woken by SQLite only every 100 ms, so
# it missed the instant between two pages and waited through many (staff pages took 4-10 s, benchmark 7).
SQLITE_PAGE_PAUSE_SECONDS = 0.1


def page_limit() -> int:
    """Events asked for per page, each page applied in one transaction: the contract's most where writers lock rows
    (PostgreSQL), far fewer where they queue for the whole database (SQLite, the embedded default)."""
    return SQLITE_PAGE_LIMIT if _sqlite() else PAGE_LIMIT


def _sqlite() -> bool:
    return transaction.get_connection().vendor == "sqlite"


@dataclass
class PullResult:
    pages: int = 0
    applied: int = 0  # events applied now
    duplicates: int = 0  # events delivered again and skipped
    failed: bool = False


def booking_events_pull_request() -> None:
    """Ask a worker to pull now, unless a pull is already waiting to start (it reads the feed to its end). If the
    broker is unreachable the beat's next pull catches up."""
    task_request(tasks.booking_events_pull)


@dataclass(frozen=True)
class _Event:
    """An event as read, with the booking it is about, parsed once when its page is read."""

    event: interface.BookingEvent
    booking: interface.Booking | None = None  # None: an event to skip
    malformed: str | Promise = ""  # why its booking cannot be read; audited when the page is applied


@dataclass(frozen=True)
class _Page:
    after: str  # the cursor it was read after
    events: list[_Event]
    next_cursor: str
    has_more: bool

    @property
    def following(self) -> str | None:
        """The cursor to read the next page after; None at the feed's end, or if OSOZ hands the same cursor back."""
        return self.next_cursor if self.has_more and self.next_cursor != self.after else None

    @property
    def created(self) -> list[interface.Booking]:
        return [item.booking for item in self.events if item.booking and item.event.type == interface.BOOKING_CREATED]


def _event_read(event: interface.BookingEvent) -> _Event:
    if event.type not in (interface.BOOKING_CREATED, interface.BOOKING_CANCELLED_BY_PATIENT):
        return _Event(event)  # a newer event type: the contract says to skip it
    try:
        return _Event(event, booking=interface.Booking.from_json(event.booking))
    except interface.PayloadError as error:
        return _Event(event, malformed=error.message)


def _page_fetch(client: OsozClient, *, after: str, limit: int) -> _Page:
    page = client.booking_events_list(after=after, limit=limit)
    events = [_event_read(event) for event in page.events]
    return _Page(after=after, events=events, next_cursor=page.next_cursor, has_more=page.has_more)


class _Reader:
    """The feed, read ahead of the page being applied. When a page is taken, the page after it is taken too: its
    bookings start being opened (`bookings.Opening`) while this one is written, and the page after that is fetched
    meanwhile on a thread that only talks HTTP and parses — the database stays with the caller's thread."""

    def __init__(self, client: OsozClient, *, limit: int, opening: bookings.Opening):
        self._client, self._limit, self._opening = client, limit, opening
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="osoz-feed")
        # By the cursor each page comes after: the pages being fetched, and those taken ahead.
        self._fetching: dict[str, Future] = {}
        self._taken: dict[str, _Page | OsozError] = {}

    def __enter__(self) -> "_Reader":
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown(cancel_futures=True)

    def page(self, after: str) -> _Page | OsozError:
        """The page after this cursor, or the error that stopped its reading."""
        page = self._taken.pop(after, None) or self._take(after)
        if isinstance(page, _Page) and page.following:
            self._taken[page.following] = self._take(page.following)
        return page

    def _take(self, after: str) -> _Page | OsozError:
        self._fetch(after)
        try:
            page = self._fetching.pop(after).result()
        except OsozError as error:
            return error
        self._opening.ahead(page.created)
        if page.following:
            self._fetch(page.following)
        return page

    def _fetch(self, after: str) -> None:
        if after not in self._fetching:
            self._fetching[after] = self._pool.submit(_page_fetch, self._client, after=after, limit=self._limit)


def _malformed_audit(item: _Event) -> None:
    # It can never be applied; holding the feed back for it would stop every later booking.
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_event_malformed",
        message=format_lazy(
            _("Pominięto zdarzenie z OSOZ {event_id} ({type}): {reason}"),
            event_id=item.event.event_id,
            type=item.event.type,
            reason=item.malformed,
        ),
        actor_label=Actor.OSOZ,
        outcome=AuditOutcome.FAILURE,
    )


def _events_apply(events: list[_Event], now: datetime, opening: bookings.Opening) -> None:
    """Apply events in feed order. Each run of new bookings is applied as one set (`bookings.bookings_apply`); a
    cancellation, or a booking already in the run, closes the run first, so nothing is applied out of order."""
    run: dict[str, interface.Booking] = {}
    cache = bookings.ApplyCache(opening=opening)

    def run_apply() -> None:
        if run:
            bookings.bookings_apply(list(run.values()), path=OsozBookingPath.FEED, cache=cache, now=now)
            run.clear()

    for item in events:
        if item.malformed:
            _malformed_audit(item)
        booking = item.booking
        if booking is None:
            continue
        if item.event.type != interface.BOOKING_CREATED or booking.booking_id in run:
            run_apply()
        if item.event.type == interface.BOOKING_CREATED:
            run[booking.booking_id] = booking
        else:
            bookings.booking_patient_cancel_apply(booking=booking, cache=cache, now=now)
    run_apply()


@transaction.atomic
def _page_apply(page: _Page, *, after: str, now: datetime, result: PullResult, opening: bookings.Opening) -> bool:
    """Apply the page's new events and store the cursor after it; False if another puller got there first."""
    connection = Connection.objects.select_for_update().get(pk=Connection.SINGLETON_ID)
    if connection.booking_cursor != after:
        return False
    ids = [uuid.UUID(item.event.event_id) for item in page.events]
    seen = set(InboundEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    new = []
    for event_id, item in zip(ids, page.events, strict=True):
        if event_id in seen:
            result.duplicates += 1
            continue
        seen.add(event_id)
        new.append(item)
    # A doctor's free slots are republished, and his open calendars refreshed, once per page rather than per event.
    with changes_collect():
        _events_apply(new, now, opening)
    InboundEvent.objects.bulk_create(
        InboundEvent(event_id=item.event.event_id, source=InboundEventSource.FEED, received_at=now) for item in new
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
        before.last_error == clinic_text(error.message)
        and before.last_error_at is not None
        and (before.last_success_at is None or before.last_error_at > before.last_success_at)
    )
    monitor.connection_exchange_record(error=error.message, unreachable=monitor.error_is_outage(error))
    if not repeated:
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_pull_failed",
            message=format_lazy(
                _(
                    "Nie udało się pobrać rezerwacji z OSOZ: {error}. Poradnia ponawia próbę co {seconds} s; "
                    "rezerwacje nie przepadną, dotrą po przywróceniu połączenia."
                ),
                error=phrase_lazy(error.message),
                seconds=settings.OSOZ_BOOKING_PULL_SECONDS,
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
            message=format_lazy(
                _(
                    "OSOZ nie przyjął zapamiętanego miejsca w strumieniu rezerwacji ({error}); pobieranie zaczyna się "
                    "od najstarszego zdarzenia, które OSOZ przechowuje. Rezerwacje już przyjęte zostaną rozpoznane i "
                    "pominięte."
                ),
                error=phrase_lazy(error.message),
            ),
            outcome=AuditOutcome.FAILURE,
        )


def booking_events_pull(*, limit: int | None = None, now: datetime | None = None) -> PullResult:
    """Pull and apply every waiting booking event, page by page (`page_limit()` events unless told) from the stored
    cursor. Safe to run in several workers at once and to repeat."""
    result = PullResult()
    limit = limit or page_limit()
    connection = connection_get()
    if not connection.is_active:
        return result
    cursor = connection.booking_cursor
    with (
        connection_client(connection) as client,
        bookings.Opening() as opening,
        _Reader(client, limit=limit, opening=opening) as reader,
    ):
        while True:
            page = reader.page(cursor)
            if isinstance(page, OsozPermanentError) and page.status == 400 and cursor:
                _cursor_reset(cursor, page)
                cursor = connection_get().booking_cursor
                continue
            if isinstance(page, OsozError):
                _pull_failed(page)
                result.failed = True
                return result
            if not _page_apply(page, after=cursor, now=now or timezone.now(), result=result, opening=opening):
                # Another puller applied this page; go on from where it stopped.
                cursor = connection_get().booking_cursor
                continue
            monitor.connection_exchange_record()
            if page.following is None:
                return result
            cursor = page.following
            if _sqlite():
                time.sleep(SQLITE_PAGE_PAUSE_SECONDS)
