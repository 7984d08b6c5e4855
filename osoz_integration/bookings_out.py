"""What OSOZ must be told about its bookings (OSZ-5, OSZ-7, OSZ-8): the product's decision on a booking OSOZ left
pending, and the clinic's later cancellation or move of an online booking.

Each booking has one outbox row ("booking:<pk>") in the outbox (outbox.py). The command is built at send time by
comparing what happened (`OsozBooking.state`, the appointment's start) with what OSOZ was last told (`osoz_state`,
`osoz_starts_at`), so a retry or a later change never sends a stale command, and a booking whose news OSOZ already
has sends nothing. One step goes per send — accept or reject, then cancel or move — and what OSOZ accepted is
recorded in the same transaction that marks the row sent; a remaining step raises the row's version, so it follows
at once. The Idempotency-Key names the booking, the step and the row's version, so a retry of a send whose answer was
lost replays the answer instead of repeating the change. A 409 carries the booking as OSOZ holds it: when that is what
the step wanted, or the patient's cancellation (newer than anything the clinic can still say, and on its way through
the feed), the step is settled with what OSOZ holds; any other state is a real conflict, parked in the outbox for an
administrator's decision on Stan integracji."""

import copy
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.changes import Change, changes_record
from core.text import clinic_text
from core.time import WARSAW, datetime_pl
from osoz_integration import interface, outbox
from osoz_integration.client import OsozBookingConflict, OsozClient, OsozPermanentError, OsozTransientError
from osoz_integration.models import OsozBooking, OsozBookingState, OutboxKind
from scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from televisit.services import televisit_patient_link

# Shown to the patient by OSOZ when the clinic gave no reason of its own (the contract requires one); sent in the
# clinic's language.
REJECT_REASON = _("Placówka nie może przyjąć tej rezerwacji. Prosimy wybrać inny termin.")
CANCEL_REASON = _("Wizyta została odwołana przez placówkę.")
MOVE_REASON = _("Placówka zmieniła termin wizyty.")


def televisit_url(appointment: Appointment) -> str | None:
    """TV-8: the patient's televisit link, handed to OSOZ with the acceptance of a televisit booking and with its
    moves, for OSOZ's e-mail to carry; None for a visit, and for a cancelled one (accepted on OSOZ only so that both
    sides end alike, then cancelled). The link is the same for the same appointment until it moves, so a command
    retried with its Idempotency-Key carries the same body."""
    if appointment.kind != AppointmentKind.TELEVISIT or appointment.status == AppointmentStatus.CANCELLED:
        return None
    return televisit_patient_link(appointment=appointment)


@dataclass(frozen=True)
class OsozBookingChanged(Change):
    """OSOZ should hear what changed about this booking (its outbox row is raised by the listener, changes.py)."""

    booking_id: int


def booking_enqueue(*osoz_bookings: OsozBooking) -> None:
    """Record, in the caller's transaction, that OSOZ should hear what changed about these bookings; the listener
    raises their rows and asks for one drain after commit. Sent whether or not the integration is switched on now:
    the row waits in the outbox until a drain can deliver it, as the patient must learn the news in any case."""
    changes_record(*(OsozBookingChanged(booking_id=booking.pk) for booking in osoz_bookings))


def clinic_changes_apply(*, moved: Collection[int], cancelled: Collection[int]) -> list[int]:
    """OSZ-8: the clinic moved or cancelled these appointments; those OSOZ holds as accepted online bookings must be
    told to OSOZ, which notifies the patient. A cancellation is recorded on the booking at once. Returns the ids of
    the bookings to send. The patient's own cancellations on OSOZ are never passed here."""
    accepted = OsozBooking.objects.filter(appointment_id__in={*moved, *cancelled}, state=OsozBookingState.ACCEPTED)
    told = dict(accepted.values_list("pk", "appointment_id"))
    OsozBooking.objects.filter(
        pk__in=[pk for pk, appointment_id in told.items() if appointment_id in cancelled]
    ).update(state=OsozBookingState.CANCELLED_BY_CLINIC)
    return list(told)


@dataclass(frozen=True)
class _Step:
    """One command for OSOZ and what OSOZ knows after it."""

    action: str  # accept | reject | cancel | move
    sent: Promise  # accusative: "Wysłano do OSOZ <sent>"
    failed: Promise  # genitive: "Nie udało się wysłać do OSOZ <failed>"
    call: Callable[[OsozClient, str], interface.Booking]  # (client, idempotency key) → OSOZ's answer
    osoz_state: str
    osoz_starts_at: datetime


def _describe(booking: OsozBooking) -> str | Promise:
    appointment = booking.appointment
    if appointment is None:
        return format_lazy(
            _("na {starts_at} (rezerwacja {booking_id})"),
            starts_at=datetime_pl(booking.starts_at),
            booking_id=booking.booking_id,
        )
    patient = appointment.patient
    return f"{patient.first_name} {patient.last_name}, {appointment.employee}, {datetime_pl(booking.osoz_starts_at)}"


def _next_step(booking: OsozBooking) -> _Step | None:
    """The first thing OSOZ does not know yet, or None when it knows everything."""
    booking_id = str(booking.booking_id)
    appointment = booking.appointment
    what = _describe(booking)
    if booking.osoz_state == OsozBookingState.PENDING:
        if booking.state == OsozBookingState.REJECTED:
            reason = booking.reason or clinic_text(REJECT_REASON)
            return _Step(
                action="reject",
                sent=format_lazy(
                    _("odmowę przyjęcia rezerwacji {what} z powodem „{reason}”"), what=what, reason=reason
                ),
                failed=format_lazy(_("odmowy przyjęcia rezerwacji {what}"), what=what),
                call=lambda client, key: client.booking_reject(booking_id, reason=reason, idempotency_key=key),
                osoz_state=OsozBookingState.REJECTED,
                osoz_starts_at=booking.osoz_starts_at,
            )
        if booking.state in (OsozBookingState.ACCEPTED, OsozBookingState.CANCELLED_BY_CLINIC) and appointment:
            # Accepted first even when the clinic has cancelled it since, so both sides end in the same state.
            reference = str(appointment.pk)
            return _Step(
                action="accept",
                sent=format_lazy(_("potwierdzenie rezerwacji {what}"), what=what),
                failed=format_lazy(_("potwierdzenia rezerwacji {what}"), what=what),
                call=lambda client, key: client.booking_accept(
                    booking_id, appointment_ref=reference, televisit_url=televisit_url(appointment), idempotency_key=key
                ),
                osoz_state=OsozBookingState.ACCEPTED,
                osoz_starts_at=booking.osoz_starts_at,
            )
        return None
    if booking.osoz_state != OsozBookingState.ACCEPTED or appointment is None:
        return None
    if booking.state == OsozBookingState.CANCELLED_BY_CLINIC:
        reason = appointment.cancel_reason or clinic_text(CANCEL_REASON)
        return _Step(
            action="cancel",
            sent=format_lazy(_("odwołanie wizyty {what} z powodem „{reason}”"), what=what, reason=reason),
            failed=format_lazy(_("odwołania wizyty {what}"), what=what),
            call=lambda client, key: client.booking_cancel(booking_id, reason=reason, idempotency_key=key),
            osoz_state=OsozBookingState.CANCELLED_BY_CLINIC,
            osoz_starts_at=booking.osoz_starts_at,
        )
    if booking.state == OsozBookingState.ACCEPTED and appointment.starts_at != booking.osoz_starts_at:
        schedule_id = str(appointment.schedule_id)
        starts_at = appointment.starts_at.astimezone(WARSAW).isoformat()
        ends_at = appointment.ends_at.astimezone(WARSAW).isoformat()
        moved_to = datetime_pl(appointment.starts_at)
        reason = clinic_text(MOVE_REASON)
        return _Step(
            action="move",
            sent=format_lazy(_("zmianę terminu wizyty {what} na {starts_at}"), what=what, starts_at=moved_to),
            failed=format_lazy(_("zmiany terminu wizyty {what} na {starts_at}"), what=what, starts_at=moved_to),
            call=lambda client, key: client.booking_move(
                booking_id,
                schedule_id=schedule_id,
                starts_at=starts_at,
                ends_at=ends_at,
                reason=reason,
                televisit_url=televisit_url(appointment),
                idempotency_key=key,
            ),
            osoz_state=OsozBookingState.ACCEPTED,
            osoz_starts_at=appointment.starts_at,
        )
    return None


def booking_osoz_correct(booking: OsozBooking, *, status: str, starts_at: datetime) -> bool:
    """Reconciliation found OSOZ holding the booking otherwise than it was last told (`osoz_state`, `osoz_starts_at`):
    record, in the caller's transaction, what OSOZ holds, and raise the booking's row so the command that brings OSOZ
    to the product's state follows (none when OSOZ holds that state already). False, changing nothing, when no command
    of the contract leads there (OSOZ holds a final state the clinic did not decide)."""
    held = copy.copy(booking)
    held.osoz_state, held.osoz_starts_at = status, starts_at
    if _next_step(held) is None and status != booking.state:
        return False
    OsozBooking.objects.filter(pk=booking.pk).update(osoz_state=status, osoz_starts_at=starts_at)
    outbox.outbox_upsert(kind=OutboxKind.BOOKING, object_ids=[booking.pk], now=timezone.now())
    return True


def _settles(held: interface.Booking | None, step: _Step) -> bool:
    """Whether what OSOZ holds makes the step needless: the state it would bring about, or the patient's cancellation,
    which the feed brings to the calendar."""
    if held is None:
        return False
    if held.status == OsozBookingState.CANCELLED_BY_PATIENT:
        return True
    return held.status == step.osoz_state and held.starts == step.osoz_starts_at


@dataclass
class BookingCommand:
    """The outbox document of a booking: the next step, or nothing to send. Audited in its own words; it carries
    the outbox's OutboxDocument interface, like publication.Document."""

    target: OsozBooking
    version: int
    step: _Step | None
    # The booking as OSOZ holds it, when OSOZ refused a step that this made needless (`_settles`).
    held: interface.Booking | None = None

    visible = False
    failed_action = "osoz_booking_failed"

    @property
    def action(self) -> str:
        return "osoz_booking_sent" if self.held is None else "osoz_booking_settled"

    @property
    def sends(self) -> bool:
        return self.step is not None

    @property
    def failed(self) -> Promise:
        if self.step is None:
            return format_lazy(_("wiadomości o rezerwacji {what}"), what=_describe(self.target))
        return self.step.failed

    def send(self, client: OsozClient) -> bool:
        """True when OSOZ applied the step; False when it held the outcome already (`_settles`)."""
        step = self.step
        key = f"{self.target.booking_id}:{step.action}:{self.version}"
        try:
            step.call(client, key)
        except OsozBookingConflict as conflict:
            if not _settles(conflict.booking, step):
                raise
            self.held = conflict.booking
            return False
        except OsozPermanentError as error:
            if error.code == "idempotency-key-in-use":
                # The same command is still being processed by OSOZ (an earlier attempt): ask again later.
                raise OsozTransientError(error.message, status=error.status, code=error.code) from error
            raise
        return True

    def sent_record(self) -> None:
        """Remember what OSOZ now knows (unless the booking moved on meanwhile, e.g. the patient cancelled it), and
        queue the next step when one remains."""
        step, held = self.step, self.held
        known = (held.status, held.starts) if held else (step.osoz_state, step.osoz_starts_at)
        OsozBooking.objects.filter(
            pk=self.target.pk, osoz_state=self.target.osoz_state, osoz_starts_at=self.target.osoz_starts_at
        ).update(osoz_state=known[0], osoz_starts_at=known[1])
        booking = OsozBooking.objects.select_related("appointment__patient", "appointment__employee").get(
            pk=self.target.pk
        )
        if _next_step(booking) is not None:
            outbox.outbox_upsert(kind=OutboxKind.BOOKING, object_ids=[booking.pk], now=timezone.now())

    def sent_text(self, applied: bool) -> Promise:
        if applied:
            return format_lazy(_("Wysłano do OSOZ {sent}; pacjent zostanie powiadomiony."), sent=self.step.sent)
        if self.held.status == self.step.osoz_state:
            return format_lazy(_("OSOZ miał już {sent}; nic więcej nie trzeba wysyłać."), sent=self.step.sent)
        return format_lazy(
            _(
                "OSOZ nie przyjął {failed}, bo pacjent odwołał już tę rezerwację; jego odwołanie trafi do kalendarza "
                "ze strumienia zdarzeń OSOZ. Nic więcej nie trzeba wysyłać."
            ),
            failed=self.step.failed,
        )

    def retry_text(self, error: str | Promise, at: str) -> Promise:
        return format_lazy(
            _("Nie udało się wysłać do OSOZ {failed}: {error}. Ponowienie o {at}."),
            failed=self.step.failed,
            error=error,
            at=at,
        )

    def refused_text(self, error: str | Promise) -> Promise:
        return format_lazy(
            _(
                "OSOZ odrzucił {sent}: {error}. Rezerwacja w OSOZ pozostaje bez zmian; wiadomość czeka na decyzję "
                "administratora w Ustawienia > OSOZ/LBK > Stan integracji (lub na następną zmianę tej wizyty)."
            ),
            sent=self.step.sent,
            error=error,
        )


def booking_command(booking_pk: int, version: int) -> BookingCommand:
    """The outbox builder of OutboxKind.BOOKING, run at send time."""
    booking = OsozBooking.objects.select_related("appointment__patient", "appointment__employee").get(pk=booking_pk)
    return BookingCommand(target=booking, version=version, step=_next_step(booking))
