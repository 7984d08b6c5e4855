"""What the product's changes mean for OSOZ: `outbox_write`, the listener (settings.CHANGE_LISTENERS) that turns a
batch of recorded changes (core.changes) into outbox rows, in the transaction that made the changes, and asks for one
drain after it commits."""

from django.db import transaction
from django.utils import timezone

from clinic.changes import EmployeeChanged, LocationChanged
from core.changes import Change
from osoz_integration import bookings_out, outbox, publication
from osoz_integration.models import OutboxKind
from payers.changes import ReferralsChanged
from scheduling.changes import AppointmentCancelled, AppointmentMoved, ScheduleChanged, SlotsChanged
from scheduling.models import AppointmentSource

# Each change that alters a document OSOZ shows, and the resource (outbox kind, id) whose document that is.
RESOURCE_OF = {
    LocationChanged: lambda change: (OutboxKind.LOCATION, change.location_id),
    EmployeeChanged: lambda change: (OutboxKind.DOCTOR, change.employee_id),
    ScheduleChanged: lambda change: (OutboxKind.SCHEDULE, change.schedule_id),
    SlotsChanged: lambda change: (OutboxKind.SLOTS, change.employee_id),
}


def outbox_write(changes: list[Change]) -> None:
    """Listener: raise the outbox rows the changes call for — the documents OSOZ shows, the bookings OSOZ must hear
    about (the clinic's moves and cancellations of online bookings, OSZ-8), the payers' visits whose referrals are to
    be exchanged (PAY-9) — and ask for a drain after commit."""
    resources = {RESOURCE_OF[type(change)](change): None for change in changes if type(change) in RESOURCE_OF}
    moved = {change.appointment_id for change in changes if isinstance(change, AppointmentMoved)}
    cancelled = {
        change.appointment_id
        for change in changes
        if isinstance(change, AppointmentCancelled) and change.source != AppointmentSource.OSOZ
    }
    bookings = [change.booking_id for change in changes if isinstance(change, bookings_out.OsozBookingChanged)]
    referrals = [change.appointment_id for change in changes if isinstance(change, ReferralsChanged)]
    if moved or cancelled:
        bookings += bookings_out.clinic_changes_apply(moved=moved, cancelled=cancelled)
    drain = publication.resources_enqueue(list(resources))
    if bookings:
        outbox.outbox_upsert(kind=OutboxKind.BOOKING, object_ids=dict.fromkeys(bookings), now=timezone.now())
        drain = True
    if referrals:
        outbox.outbox_upsert(kind=OutboxKind.REFERRALS, object_ids=dict.fromkeys(referrals), now=timezone.now())
        drain = True
    if drain:
        transaction.on_commit(outbox.outbox_drain_request)
