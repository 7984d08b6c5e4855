"""The patient's own cancellations on OSOZ (OSZ-8), applied once and never told back to OSOZ."""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.actors import Actor
from core.models import AuditCategory
from core.services import audit_record
from core.text import clinic_text
from core.time import datetime_pl
from osoz_integration import bookings_out, interface
from osoz_integration.bookings.apply import ApplyCache, doctor_and_time
from osoz_integration.bookings.refusals import PATIENT_CANCEL_REASON
from osoz_integration.models import OsozBooking, OsozBookingPath, OsozBookingState, OutboxKind, outbox_key
from osoz_integration.selectors import outbox_refused_rows
from scheduling.models import AppointmentSource, AppointmentStatus
from scheduling.services import (
    appointment_cancel,
)


def _refused_recheck(record: OsozBooking) -> None:
    """A command about this booking that OSOZ refused for good waits on Stan integracji for an administrator; the
    patient's cancellation may make it needless (typically it is why OSOZ refused), so its row is raised: the next
    drain settles it, or sends what still matters, and nobody has to decide."""
    if outbox_refused_rows().filter(key=outbox_key(OutboxKind.BOOKING, record.pk)).exists():
        bookings_out.booking_enqueue(record)


def booking_patient_cancel_apply(
    *, booking: interface.Booking, cache: ApplyCache | None = None, now: datetime | None = None
) -> OsozBooking:
    """The patient cancelled on OSOZ (OSZ-8): the appointment is cancelled with OSOZ as Pracownik odwołujący, and
    nothing goes back to OSOZ. A cancellation arriving before its booking is remembered, so the booking that comes
    later (the feed may reorder) is not made."""
    cache = cache or ApplyCache()
    now = now or timezone.now()
    reason = (booking.reason or "").strip() or clinic_text(PATIENT_CANCEL_REASON)
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        try:
            with transaction.atomic():
                record = OsozBooking.objects.create(
                    booking_id=booking.booking_id,
                    state=OsozBookingState.CANCELLED_BY_PATIENT,
                    osoz_state=OsozBookingState.CANCELLED_BY_PATIENT,
                    reason=reason[:500],
                    channel=booking.channel,
                    starts_at=booking.starts,
                    osoz_starts_at=booking.starts,
                    path=OsozBookingPath.FEED,
                    received_at=now,
                )
        except IntegrityError:
            record = (
                OsozBooking.objects.select_for_update(of=("self",))
                .select_related("appointment__patient", "appointment__employee")
                .get(booking_id=booking.booking_id)
            )
        else:
            audit_record(
                category=AuditCategory.INTEGRATION,
                action="osoz_booking_cancelled_early",
                message=format_lazy(
                    _(
                        "OSOZ zgłosił odwołanie przez pacjenta rezerwacji ({booking}), której Poradnia jeszcze nie "
                        "otrzymała; zapamiętano je, więc ta rezerwacja nie zostanie umówiona."
                    ),
                    booking=doctor_and_time(booking, cache),
                ),
                actor_label=Actor.OSOZ,
                target=record,
            )
            return record
        if record.state == OsozBookingState.CANCELLED_BY_PATIENT:
            return record
        appointment = record.appointment
        # What OSOZ knows is recorded first, so the cancellation below sends nothing back.
        record.osoz_state = OsozBookingState.CANCELLED_BY_PATIENT
        _refused_recheck(record)
        if appointment is None or appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
            record.save(update_fields=["osoz_state"])
            if appointment is None:
                why = _("Poradnia tę rezerwację odrzuciła")
            else:
                why = format_lazy(
                    _("wizyta ma już status „{status}”"), status=AppointmentStatus(appointment.status).label
                )
            audit_record(
                category=AuditCategory.INTEGRATION,
                action="osoz_booking_cancel_skipped",
                message=format_lazy(
                    _("Pacjent odwołał w OSOZ rezerwację ({booking}), ale {why}; w kalendarzu nic nie zmieniono."),
                    booking=doctor_and_time(booking, cache),
                    why=why,
                ),
                actor_label=Actor.OSOZ,
                target=record,
            )
            return record
        record.state = OsozBookingState.CANCELLED_BY_PATIENT
        record.reason = reason[:500]
        record.save(update_fields=["state", "osoz_state", "reason"])
        appointment_cancel(appointment=appointment, source=AppointmentSource.OSOZ, reason=reason, now=now)
        patient = appointment.patient
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_booking_cancelled_by_patient",
            message=format_lazy(
                _("Pacjent odwołał wizytę w OSOZ: {patient}, {doctor}, {starts_at}. Powód: {reason}"),
                patient=f"{patient.first_name} {patient.last_name}",
                doctor=appointment.employee,
                starts_at=datetime_pl(appointment.starts_at),
                reason=reason,
            ),
            actor_label=Actor.OSOZ,
            target=appointment,
        )
        return record
