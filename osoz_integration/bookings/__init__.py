"""Bookings made on OSOZ, applied to the calendar exactly once (OSZ-4…OSZ-7, SET-1, PAT-2): `apply` applies them,
`opening` opens their sealed personal data, `cancellations` takes the patient's own cancellations and `refusals`
words what the patient is told.

Both paths — the synchronous approval and the events feed — end in `bookings_apply`: one booking from the approval
call, a page's new bookings from the feed, applied as one set in a few queries whatever their number. Bookings whose
`OsozBooking` row exists (the other path came first, a retry, a duplicate delivery) get the decision already taken.
The others are judged in an attempt made in a savepoint: personal data and patient record before anything is
written, then the booking rules every channel shares (`scheduling.services.bookings_check`: the slot grid, SCH-2's
online offer, SCH-3, SET-1) by booking them all at once; this module only maps a refusal to the reason OSOZ shows.
Bookings the calendar refuses are left out of a new attempt, so a refused booking writes nothing but its rejected
record, and nothing half-applied remains. The unique booking id makes the record the proof of "once". A concurrent
write that spoils an attempt (the other path recording one of the bookings, a patient or a time taken meanwhile)
rolls the savepoint back, and the attempt is made again from what the database holds then. What OSOZ still has to be
told (an accept or reject of a booking that came through the feed) goes to the outbox in the same transaction
(bookings_out)."""

from osoz_integration.bookings.apply import ApplyCache, booking_apply, bookings_apply
from osoz_integration.bookings.cancellations import booking_patient_cancel_apply
from osoz_integration.bookings.opening import Opening
from osoz_integration.bookings.refusals import NOT_OFFERED, PESEL_NEEDED, SLOT_TAKEN, UNREADABLE

__all__ = [
    "NOT_OFFERED",
    "PESEL_NEEDED",
    "SLOT_TAKEN",
    "UNREADABLE",
    "ApplyCache",
    "Opening",
    "booking_apply",
    "booking_patient_cancel_apply",
    "bookings_apply",
]
