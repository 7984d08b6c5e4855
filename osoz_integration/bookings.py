"""Bookings made on OSOZ, applied to the calendar exactly once (OSZ-4…OSZ-7, SET-1, PAT-2).

Both paths — the synchronous approval and the events feed — end in `booking_apply`. Its first write is the
`OsozBooking` row keyed by the OSOZ booking id, under the unique constraint, so whichever path comes second (or a
duplicate delivery) finds the row and returns the decision already taken. The booking itself is made in a savepoint:
a refusal rolls back everything it had done (a patient created for it included) and only then records the rejected
booking, so nothing half-applied remains. What OSOZ still has to be told (an accept or reject of a booking that came
through the feed) goes to the outbox in the same transaction (bookings_out)."""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from clinic.models import Location
from core.crypto import CryptoError, secret_decrypt, unseal
from core.errors import DomainError
from core.models import AuditCategory, AuditOutcome
from core.services import audit_record
from osoz_integration import bookings_out, interface
from osoz_integration.models import OsozBooking, OsozBookingPath, OsozBookingState
from osoz_integration.selectors import published_schedules
from patients.models import OsozCardSource, OsozCardStatus, Patient, phone_normalise
from patients.services import osoz_card_add, patient_create
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus, Schedule, WaitingCategory
from scheduling.selectors import booking_settings, patient_is_first_time
from scheduling.services import SlotTakenError, appointment_book, appointment_cancel, waiting_list_add
from scheduling.slots import WARSAW

OSOZ_ACTOR = "OSOZ"

# The reasons OSOZ shows the patient (OSZ-7). SET-1's wording is the specification's, verbatim.
NFZ_FIRST_TIME_REFUSED = (
    "Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ samodzielnie. Prosimy o kontakt z placówką"
)
NOT_OFFERED = "Lekarz lub placówka nie przyjmuje już rejestracji online. Prosimy wybrać inny termin."
SLOT_TAKEN = "Wybrany termin jest już zajęty. Prosimy wybrać inny."
SLOT_GONE = "Wybrany termin nie jest już dostępny. Prosimy wybrać inny."
SLOT_PAST = "Wybrany termin już minął. Prosimy wybrać inny."
UNREADABLE = "Nie udało się odczytać danych rezerwacji. Prosimy spróbować ponownie lub skontaktować się z placówką."
PESEL_NEEDED = "Do rejestracji online w tej placówce potrzebny jest numer PESEL. Prosimy o kontakt z placówką."
PATIENT_DATA_INVALID = "Podane dane pacjenta są nieprawidłowe ({details}). Prosimy sprawdzić je i spróbować ponownie."
CANCELLED_BEFORE = "Rezerwacja została już odwołana przez pacjenta."
PATIENT_CANCEL_REASON = "Odwołana przez pacjenta w OSOZ"
# Domain refusals whose own message is meant for whoever books, so the patient may read it as it is.
PATIENT_READABLE_CODES = {"televisit_not_allowed", "televisit_only"}


def _when(moment: datetime) -> str:
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


@dataclass
class ApplyCache:
    """What the events of one feed page share — locations with their private keys, the schedules OSOZ may book
    and the booking settings — read once per page instead of once per event. Valid within one transaction."""

    locations: dict[int, tuple[Location | None, bytes]] = field(default_factory=dict)
    schedules: dict[tuple[str, str], Schedule | None] = field(default_factory=dict)
    nfz_first_time_online: bool | None = None

    def location(self, unit_number: int) -> tuple[Location | None, bytes]:
        """The location OSOZ knows by this unit number and its decrypted private key (b"" when it has none)."""
        if unit_number not in self.locations:
            location = Location.objects.filter(osoz_unit_number=unit_number).first()
            key = b""
            if location is not None and location.private_key_encrypted:
                try:
                    key = secret_decrypt(location.private_key_encrypted)
                except CryptoError:
                    # None of SECRETS_ENCRYPTION_KEYS opens it: the booking is refused as unreadable, not stuck.
                    key = b""
            self.locations[unit_number] = (location, key)
        return self.locations[unit_number]

    def schedule(self, *, doctor_id: str, schedule_id: str) -> Schedule | None:
        """The schedule if OSOZ may still book it: published (SCH-2) with its doctor visible (STR-4, STR-5)."""
        key = (doctor_id, schedule_id)
        if key not in self.schedules:
            found = None
            if doctor_id.isdigit() and schedule_id.isdigit():
                found = (
                    published_schedules(employee_id=int(doctor_id))
                    .filter(pk=int(schedule_id))
                    .select_related("employee", "cell__location")
                    .first()
                )
            self.schedules[key] = found
        return self.schedules[key]

    def first_time_nfz_allowed(self) -> bool:
        if self.nfz_first_time_online is None:
            self.nfz_first_time_online = booking_settings().nfz_first_time_online
        return self.nfz_first_time_online


class _Refused(Exception):
    """The booking cannot be honoured; `reason` is shown to the patient, `detail` only goes to the audit log."""

    def __init__(self, reason: str, *, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass
class _Outcome:
    """What the booking turned into, for the record and the audit."""

    patient: Patient | None = None
    appointment: Appointment | None = None
    who: str = ""  # the patient's name, once decrypted
    notes: list[str] = field(default_factory=list)


def _decision_of(record: OsozBooking) -> interface.BookingDecision:
    """The decision taken for a booking already recorded, repeated for a retry or a second path."""
    if record.appointment_id is not None:
        return interface.BookingDecision(decision="accepted", reason=None, appointment_ref=str(record.appointment_id))
    reason = record.reason or (CANCELLED_BEFORE if record.state == OsozBookingState.CANCELLED_BY_PATIENT else "")
    return interface.BookingDecision(decision="rejected", reason=reason or SLOT_GONE, appointment_ref=None)


def _personal_data(booking: interface.Booking, location: Location, key: bytes) -> interface.PersonalData:
    """OSZ-6: the personal data, opened with the private key of the location the booking is for."""
    if not key:
        raise _Refused(
            UNREADABLE, detail=f"brak klucza prywatnego lokalizacji „{location.name}” lub nie można go odszyfrować"
        )
    try:
        plaintext = unseal(private_pem=key, envelope=json.dumps(booking.personal_data))
        return interface.PersonalData.from_json(json.loads(plaintext))
    except CryptoError as error:
        raise _Refused(UNREADABLE, detail=error.message) from error
    except (ValueError, interface.PayloadError) as error:
        detail = error.message if isinstance(error, interface.PayloadError) else "dane osobowe nie są dokumentem JSON"
        raise _Refused(UNREADABLE, detail=detail) from error


def _patient_for(data: interface.PersonalData, outcome: _Outcome) -> Patient:
    """OSZ-5, PAT-3: the patient with this PESEL, or a new record from what the patient entered online."""
    if not data.pesel:
        raise _Refused(PESEL_NEEDED, detail="rezerwacja bez numeru PESEL")
    patient = Patient.objects.filter(pesel=data.pesel).first()
    if patient is not None:
        return patient
    # Contact data are optional in the record: a number or address the record would refuse is left out rather than
    # turning the booking down.
    try:
        phone = phone_normalise(data.phone) if data.phone else ""
    except ValidationError:
        phone = ""
    try:
        validate_email(data.email)
        email = data.email
    except ValidationError:
        email = ""
    try:
        # The birth date and sex come from the PESEL, which the record checks them against.
        patient = patient_create(
            first_name=data.first_name[:100], last_name=data.last_name[:100], pesel=data.pesel, email=email, phone=phone
        )
    except ValidationError as error:
        # Two bookings of a new patient racing: the other one created him first.
        patient = Patient.objects.filter(pesel=data.pesel).first()
        if patient is not None:
            return patient
        details = "; ".join(error.messages)
        raise _Refused(PATIENT_DATA_INVALID.format(details=details.rstrip(".")), detail=details) from error
    outcome.notes.append("założono kartotekę nowego pacjenta")
    return patient


def _book(booking: interface.Booking, cache: ApplyCache, outcome: _Outcome) -> None:
    """Make the appointment, or raise _Refused; runs in a savepoint that a refusal rolls back."""
    schedule = cache.schedule(doctor_id=booking.doctor_id, schedule_id=booking.schedule_id)
    location, key = cache.location(booking.location_unit_number)
    if (
        schedule is None
        or location is None
        or not location.osoz_enabled
        or schedule.cell.location_id != location.pk
        or str(schedule.cell_id) != booking.cell_id
    ):
        raise _Refused(NOT_OFFERED, detail="harmonogram, lekarz lub lokalizacja nie są już udostępnione w OSOZ")
    data = _personal_data(booking, location, key)
    outcome.who = f"{data.first_name} {data.last_name}"
    patient = _patient_for(data, outcome)
    outcome.patient = patient
    # SET-1: asked before booking, as the booking itself would make the patient a returning one.
    first_time_nfz = schedule.is_nfz and patient_is_first_time(patient=patient, cell=schedule.cell)
    if first_time_nfz and not cache.first_time_nfz_allowed():
        raise _Refused(
            NFZ_FIRST_TIME_REFUSED, detail="pierwszorazowy pacjent NFZ, rejestracja online wyłączona (SET-1)"
        )
    try:
        appointment = appointment_book(
            employee_id=schedule.employee_id,
            starts_at=booking.starts,
            ends_at=booking.ends,
            patient=patient,
            source=AppointmentSource.OSOZ,
            kind=booking.kind,
            notes=booking.patient_note,
        )
    except SlotTakenError as error:
        raise _Refused(SLOT_TAKEN, detail=error.message) from error
    except DomainError as error:
        if error.code == "past":
            raise _Refused(SLOT_PAST, detail=error.message) from error
        reason = error.message if error.code in PATIENT_READABLE_CODES else SLOT_GONE
        raise _Refused(reason, detail=error.message) from error
    if appointment.schedule_id != schedule.pk:
        # The time falls in another of the doctor's schedules, one OSOZ does not offer.
        raise _Refused(SLOT_GONE, detail="termin należy do harmonogramu nieudostępnionego w OSOZ")
    outcome.appointment = appointment
    if booking.osoz_card_number:
        cards = patient.osoz_cards.values_list("number", flat=True)
        if booking.osoz_card_number not in cards:
            osoz_card_add(
                patient=patient,
                number=booking.osoz_card_number,
                status=OsozCardStatus.INACTIVE,
                source=OsozCardSource.ONLINE,
            )
            outcome.notes.append("dodano kartę OSOZ ze statusem Nieaktywna")
    if first_time_nfz:
        try:
            waiting_list_add(
                cell=schedule.cell,
                patient=patient,
                category=WaitingCategory.STABLE,
                added_by_label=OSOZ_ACTOR,
                appointment=appointment,
            )
            outcome.notes.append("pacjent pierwszorazowy NFZ – wpisano go do kolejki oczekujących (przypadek stabilny)")
        except DomainError as error:
            if error.code != "already_waiting":
                raise
            outcome.notes.append("pacjent pierwszorazowy NFZ – był już w kolejce oczekujących tej komórki")


def _doctor_and_time(booking: interface.Booking, cache: ApplyCache) -> str:
    schedule = cache.schedule(doctor_id=booking.doctor_id, schedule_id=booking.schedule_id)
    doctor = str(schedule.employee) if schedule is not None else f"lekarz {booking.doctor_id}"
    return f"{doctor}, {_when(booking.starts)}"


def booking_apply(
    *,
    booking: interface.Booking,
    path: str,
    cache: ApplyCache | None = None,
    now: datetime | None = None,
) -> interface.BookingDecision:
    """Apply a booking made on OSOZ, once per booking id whichever path brings it (OSZ-4, OSZ-5, OSZ-7).

    Returns the decision — the same one again for a booking already applied. With `path` approval OSOZ learns the
    decision from the answer; from the feed, the outbox tells it (accept or reject)."""
    cache = cache or ApplyCache()
    now = now or timezone.now()
    # Its own transaction, or part of the caller's (a feed page, which a failure here rolls back whole).
    with translation.override("pl"), transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():
                record = OsozBooking.objects.create(
                    booking_id=booking.booking_id,
                    state=OsozBookingState.PENDING,
                    osoz_state=OsozBookingState.PENDING,
                    channel=booking.channel,
                    starts_at=booking.starts,
                    osoz_starts_at=booking.starts,
                    path=path,
                    received_at=now,
                )
        except IntegrityError:
            # Applied already (the other path, a retry or a duplicate), or cancelled by the patient before it came.
            record = OsozBooking.objects.select_for_update().get(booking_id=booking.booking_id)
            if path == OsozBookingPath.FEED:
                _answer_resend(record)
            return _decision_of(record)
        outcome = _Outcome()
        try:
            with transaction.atomic():
                _book(booking, cache, outcome)
        except _Refused as refusal:
            _rejected_record(record, booking, refusal, outcome, cache=cache, path=path)
        else:
            _accepted_record(record, booking, outcome, cache=cache, path=path)
        return _decision_of(record)


def _answer_resend(record: OsozBooking) -> None:
    """The feed brings a booking decided through the approval call. The answer to that call may have been lost, and
    OSOZ then still holds the booking as pending, so the decision goes to OSOZ again through the outbox; OSOZ answers
    a decision it already has unchanged."""
    decided = record.state in (OsozBookingState.ACCEPTED, OsozBookingState.REJECTED)
    if record.path == OsozBookingPath.APPROVAL and decided and record.osoz_state == record.state:
        record.osoz_state = OsozBookingState.PENDING
        record.save(update_fields=["osoz_state"])
        bookings_out.booking_enqueue(record)


def _settle(record: OsozBooking, *, path: str, state: str) -> None:
    """Save the decision; OSOZ knows it already when it came as the answer to the approval call."""
    record.state = state
    record.osoz_state = state if path == OsozBookingPath.APPROVAL else OsozBookingState.PENDING
    record.save()
    if record.osoz_state != record.state:
        bookings_out.booking_enqueue(record)


def _accepted_record(
    record: OsozBooking, booking: interface.Booking, outcome: _Outcome, *, cache: ApplyCache, path: str
) -> None:
    record.patient, record.appointment = outcome.patient, outcome.appointment
    _settle(record, path=path, state=OsozBookingState.ACCEPTED)
    notes = "".join(f" {note[0].upper()}{note[1:]}." for note in outcome.notes)
    if booking.patient_note:
        notes += " Notatka pacjenta dodana do wizyty."
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_booking_accepted",
        message=f"Przyjęto rezerwację z OSOZ: {outcome.who}, {_doctor_and_time(booking, cache)}.{notes}",
        actor_label=OSOZ_ACTOR,
        target=outcome.appointment,
    )


def _rejected_record(
    record: OsozBooking,
    booking: interface.Booking,
    refusal: _Refused,
    outcome: _Outcome,
    *,
    cache: ApplyCache,
    path: str,
) -> None:
    record.reason = refusal.reason[:500]
    _settle(record, path=path, state=OsozBookingState.REJECTED)
    who = f"{outcome.who}, " if outcome.who else ""
    detail = (
        f" (przyczyna: {refusal.detail.rstrip('.')})" if refusal.detail and refusal.detail != refusal.reason else ""
    )
    # Undecryptable data point at a key or a tampered document, not at an ordinary refusal.
    failed = refusal.reason == UNREADABLE
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_booking_rejected",
        message=f"Odrzucono rezerwację z OSOZ ({who}{_doctor_and_time(booking, cache)}): {refusal.reason}{detail}",
        actor_label=OSOZ_ACTOR,
        target=record,
        outcome=AuditOutcome.FAILURE if failed else AuditOutcome.SUCCESS,
    )


def booking_patient_cancel_apply(
    *, booking: interface.Booking, cache: ApplyCache | None = None, now: datetime | None = None
) -> OsozBooking:
    """The patient cancelled on OSOZ (OSZ-8): the appointment is cancelled with OSOZ as Pracownik odwołujący, and
    nothing goes back to OSOZ. A cancellation arriving before its booking is remembered, so the booking that comes
    later (the feed may reorder) is not made."""
    cache = cache or ApplyCache()
    now = now or timezone.now()
    reason = (booking.reason or "").strip() or PATIENT_CANCEL_REASON
    with translation.override("pl"), transaction.atomic():
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
                message=(
                    f"OSOZ zgłosił odwołanie przez pacjenta rezerwacji ({_doctor_and_time(booking, cache)}), której "
                    "Poradnia jeszcze nie otrzymała; zapamiętano je, więc ta rezerwacja nie zostanie umówiona."
                ),
                actor_label=OSOZ_ACTOR,
                target=record,
            )
            return record
        if record.state == OsozBookingState.CANCELLED_BY_PATIENT:
            return record
        appointment = record.appointment
        # What OSOZ knows is recorded first, so the cancellation below sends nothing back.
        record.osoz_state = OsozBookingState.CANCELLED_BY_PATIENT
        if appointment is None or appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
            record.save(update_fields=["osoz_state"])
            if appointment is None:
                why = "Poradnia tę rezerwację odrzuciła"
            else:
                why = f"wizyta ma już status „{appointment.get_status_display()}”"
            audit_record(
                category=AuditCategory.INTEGRATION,
                action="osoz_booking_cancel_skipped",
                message=(
                    f"Pacjent odwołał w OSOZ rezerwację ({_doctor_and_time(booking, cache)}), ale {why}; "
                    "w kalendarzu nic nie zmieniono."
                ),
                actor_label=OSOZ_ACTOR,
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
            message=(
                f"Pacjent odwołał wizytę w OSOZ: {patient.first_name} {patient.last_name}, {appointment.employee}, "
                f"{_when(appointment.starts_at)}. Powód: {reason}"
            ),
            actor_label=OSOZ_ACTOR,
            target=appointment,
        )
        return record
