"""Bookings made on OSOZ applied to the calendar exactly once, as a set (see the package's docstring)."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from clinic.models import Location
from core.actors import Actor
from core.changes import changes_record
from core.errors import DomainError
from core.models import AuditCategory, AuditEvent, AuditOutcome
from core.services import audit_event
from core.text import clinic_text, join_lazy
from core.time import datetime_pl
from osoz_integration import bookings_out, interface
from osoz_integration.bookings.opening import Opening, location_keyed, personal_data
from osoz_integration.bookings.refusals import (
    CANCELLED_BEFORE,
    NOT_OFFERED,
    PATIENT_DATA_INVALID,
    PESEL_NEEDED,
    SLOT_GONE,
    UNREADABLE,
    Refused,
    refusal_of,
)
from osoz_integration.models import OsozBooking, OsozBookingPath, OsozBookingState
from osoz_integration.texts import phrase_lazy
from patients.models import OsozCardSource, OsozCardStatus, Patient, phone_normalise
from patients.services import osoz_card_add, patients_create
from payers.changes import ReferralsChanged
from payers.interface import OsozPayerOrder
from payers.visits import PayerOrderRefused, ResolvedOrder, payer_booking_record, payer_order_resolve
from scheduling.models import Appointment, AppointmentKind, AppointmentSource, Schedule, WaitingListEntry
from scheduling.selectors import online_schedules
from scheduling.services import (
    BookingRequest,
    appointments_book,
)


@dataclass
class ApplyCache:
    """What the events of one feed page share — locations with their private keys and the schedules OSOZ may book —
    read once per page instead of once per event. Valid within one transaction. With `opening`, the bookings'
    personal data opened ahead are taken from it."""

    locations: dict[int, tuple[Location | None, bytes]] = field(default_factory=dict)
    schedules: dict[tuple[str, str], Schedule | None] = field(default_factory=dict)
    opening: Opening | None = None

    def location(self, unit_number: int) -> tuple[Location | None, bytes]:
        """The location OSOZ knows by this unit number and its decrypted private key (b"" when it has none)."""
        if unit_number not in self.locations:
            self.locations[unit_number] = location_keyed(unit_number)
        return self.locations[unit_number]

    def schedule(self, *, doctor_id: str, schedule_id: str) -> Schedule | None:
        """The schedule if OSOZ may still book it: published (SCH-2) with its doctor visible (STR-4, STR-5)."""
        key = (doctor_id, schedule_id)
        if key not in self.schedules:
            self.schedules_load([key])
        return self.schedules[key]

    def schedules_load(self, keys: Iterable[tuple[str, str]]) -> None:
        """Read the schedules of many (doctor id, schedule id) pairs, as OSOZ names them, in one query."""
        wanted = {key for key in keys if key not in self.schedules}
        numeric = {key: (int(key[0]), int(key[1])) for key in wanted if key[0].isdigit() and key[1].isdigit()}
        found = {}
        if numeric:
            schedules = online_schedules().filter(pk__in={schedule_id for _doctor, schedule_id in numeric.values()})
            found = {
                (schedule.employee_id, schedule.pk): schedule
                for schedule in schedules.select_related("employee", "cell__location")
            }
        for key in wanted:
            self.schedules[key] = found.get(numeric.get(key))


class _Raced(Exception):
    """A concurrent write got in between the reads and the writes of an attempt (a patient or a time recorded
    meanwhile): the attempt is rolled back and made again from what the database holds now."""


# Each attempt that a concurrent write spoils is made again, up to this many times in all.
ATTEMPTS = 5


@dataclass
class _Opened:
    """A booking read once per call: its schedule and, once it is known not to be recorded yet, its personal data
    opened with the location's private key — or why it cannot be honoured whatever the calendar holds."""

    booking: interface.Booking
    key: uuid.UUID
    schedule: Schedule | None = None
    data: interface.PersonalData | None = None
    refusal: Refused | None = None
    payer: ResolvedOrder | None = None  # an OSOZ payer's booking (PAY-7)

    @property
    def who(self) -> str:
        return f"{self.data.first_name} {self.data.last_name}" if self.data is not None else ""


@dataclass
class _Outcome:
    """What one attempt makes of a booking."""

    opened: _Opened
    refusal: Refused | None = None
    patient: Patient | None = None
    appointment: Appointment | None = None
    notes: list[Promise] = field(default_factory=list)  # sentences the audit adds


def _decision_of(record: OsozBooking) -> interface.BookingDecision:
    """The decision taken for a booking already recorded, repeated for a retry or a second path."""
    if record.appointment_id is not None:
        return interface.BookingDecision(decision="accepted", reason=None, appointment_ref=str(record.appointment_id))
    reason = record.reason or (CANCELLED_BEFORE if record.state == OsozBookingState.CANCELLED_BY_PATIENT else "")
    return interface.BookingDecision(decision="rejected", reason=clinic_text(reason or SLOT_GONE), appointment_ref=None)


def _offered(booking: interface.Booking, cache: ApplyCache) -> _Opened:
    """The booking with its schedule, if OSOZ may still book it there; its personal data are opened next."""
    opened = _Opened(booking=booking, key=uuid.UUID(booking.booking_id))
    schedule = cache.schedule(doctor_id=booking.doctor_id, schedule_id=booking.schedule_id)
    location, _key = cache.location(booking.location_unit_number)
    if (
        schedule is None
        or location is None
        or not location.osoz_enabled
        or schedule.cell.location_id != location.pk
        or str(schedule.cell_id) != booking.cell_id
    ):
        opened.refusal = Refused(
            NOT_OFFERED, detail=_("harmonogram, lekarz lub lokalizacja nie są już udostępnione w OSOZ")
        )
    else:
        opened.schedule = schedule
        if booking.payer_order is not None:
            _payer_resolve(opened)
    return opened


def _payer_resolve(opened: _Opened) -> None:
    """An insurer's booking: its payer, the schedule shared with it and the service from its price list (SCH-4)."""
    order = opened.booking.payer_order
    try:
        opened.payer = payer_order_resolve(
            order=OsozPayerOrder(
                payer_osoz_id=order.payer_id,
                payer_service_id=order.service_id,
                price=order.amount,
                discount_percent=order.discount_percent,
            ),
            schedule_id=opened.schedule.pk,
        )
    except PayerOrderRefused as error:
        opened.refusal = Refused(error.message)


def visit_notes(booking: interface.Booking) -> str:
    """Notatki związane z wizytą of an online booking: the insurer's note of what it ordered (§12.1), then what the
    patient wanted the doctor to know."""
    payer_note = booking.payer_order.note if booking.payer_order is not None else ""
    return "\n".join(note for note in (payer_note, booking.patient_note) if note)


def _open(opened: _Opened, cache: ApplyCache) -> None:
    """The personal data of an offered booking, once: opened ahead (`Opening`) or now."""
    if opened.refusal is not None or opened.data is not None:
        return
    location, key = cache.location(opened.booking.location_unit_number)
    ahead = cache.opening.take(opened.booking, key) if cache.opening is not None else None
    try:
        data = ahead.result() if ahead is not None else personal_data(opened.booking, location, key)
        _typed_text_check(opened.booking, data)
        opened.data = data
        if not opened.data.pesel:
            raise Refused(PESEL_NEEDED, detail=_("rezerwacja bez numeru PESEL"))
    except Refused as refusal:
        opened.refusal = refusal


def _typed_text_check(booking: interface.Booking, data: interface.PersonalData) -> None:
    """What the patient typed online is validated as the reception's forms validate it — by the model fields'
    validators (length, no control characters): the names whether the PESEL is known or not, and the note for the
    doctor. The refusal names the fields, never the values, which are recorded nowhere."""
    typed = [
        (Patient._meta.get_field("last_name"), data.last_name),
        (Patient._meta.get_field("first_name"), data.first_name),
        (Appointment._meta.get_field("notes"), visit_notes(booking)),
    ]
    wrong = []
    for model_field, value in typed:
        try:
            model_field.run_validators(value)
        except ValidationError as error:
            message = phrase_lazy(error.messages[0])
            wrong.append(format_lazy("{label}: {message}", label=model_field.verbose_name, message=message))
    if wrong:
        details = join_lazy("; ", wrong)
        raise Refused(format_lazy(PATIENT_DATA_INVALID, details=details), detail=details)


def _opened(bookings: Sequence[interface.Booking], cache: ApplyCache) -> list[_Opened]:
    """The bookings with their schedules, read once per call, outside the attempts."""
    cache.schedules_load((booking.doctor_id, booking.schedule_id) for booking in bookings)
    return [_offered(booking, cache) for booking in bookings]


def _new_patient(data: interface.PersonalData) -> Patient:
    """A record from what the patient entered online, validated like the form validates it. Contact data are
    optional in the record: a number or address the record would refuse is left out rather than turning the booking
    down. The birth date and sex come from the PESEL, which the record checks them against."""
    try:
        phone = phone_normalise(data.phone) if data.phone else ""
    except ValidationError:
        phone = ""
    try:
        validate_email(data.email)
        email = data.email
    except ValidationError:
        email = ""
    patient = Patient(first_name=data.first_name, last_name=data.last_name, pesel=data.pesel, email=email, phone=phone)
    try:
        patient.full_clean(validate_constraints=False)
    except ValidationError as error:
        details = "; ".join(error.messages)
        raise Refused(format_lazy(PATIENT_DATA_INVALID, details=details.rstrip(".")), detail=details) from error
    return patient


def _patients_find(outcomes: list[_Outcome]) -> None:
    """OSZ-5, PAT-3: each booking's patient — the one with its PESEL, or a new record (not saved yet) shared by the
    bookings of one new PESEL. One query."""
    pesels = {outcome.opened.data.pesel for outcome in outcomes}
    patients = {patient.pesel: patient for patient in Patient.objects.filter(pesel__in=pesels)}
    for outcome in outcomes:
        pesel = outcome.opened.data.pesel
        if pesel not in patients:
            try:
                patients[pesel] = _new_patient(outcome.opened.data)
            except Refused as refusal:
                outcome.refusal = refusal
                continue
        outcome.patient = patients[pesel]


def _request_of(outcome: _Outcome) -> BookingRequest:
    booking = outcome.opened.booking
    return BookingRequest(
        employee_id=outcome.opened.schedule.employee_id,
        starts_at=booking.starts,
        ends_at=booking.ends,
        kind=booking.kind,
        patient=outcome.patient,
        notes=visit_notes(booking),
        source=AppointmentSource.PAYER if outcome.opened.payer is not None else None,
    )


def _live(outcomes: list[_Outcome]) -> list[_Outcome]:
    return [outcome for outcome in outcomes if outcome.refusal is None]


def _book(outcomes: list[_Outcome], refused: dict[uuid.UUID, Refused]) -> None:
    """The new patients and the appointments of the bookings still standing, under the calendar's rules
    (`appointments_book`). The bookings it refuses are remembered in `refused` and the attempt is made again without
    them (_Raced), so a refused booking leaves nothing behind, a new patient included."""
    accepted = _live(outcomes)
    new_patients: dict[int, _Outcome] = {}  # id() of each new patient → the first booking that brings him
    for outcome in accepted:
        if outcome.patient.pk is None:
            new_patients.setdefault(id(outcome.patient), outcome)
    try:
        patients_create([outcome.patient for outcome in new_patients.values()])
    except ValidationError as error:
        raise _Raced("a patient with one of these PESELs was recorded meanwhile") from error
    for outcome in new_patients.values():
        outcome.notes.append(_("Założono kartotekę nowego pacjenta."))
    results = appointments_book([_request_of(outcome) for outcome in accepted], source=AppointmentSource.OSOZ)
    for outcome, result in zip(accepted, results, strict=True):
        if isinstance(result, DomainError):
            refused[outcome.opened.key] = refusal_of(result)
        elif result.schedule_id != outcome.opened.schedule.pk:
            # The time falls in another of the doctor's schedules, one OSOZ does not offer.
            detail = _("termin należy do harmonogramu nieudostępnionego w OSOZ")
            refused[outcome.opened.key] = Refused(SLOT_GONE, detail=detail)
        else:
            outcome.appointment = result
    if any(outcome.appointment is None for outcome in accepted):
        raise _Raced("the calendar refused some of the bookings; they are left out of the next attempt")


def _queued(outcomes: list[_Outcome]) -> set[int]:
    """The appointments whose first-time NFZ patient the booking rules entered in the waiting queue (SET-1)."""
    appointments = [outcome.appointment.pk for outcome in outcomes]
    return set(WaitingListEntry.objects.filter(appointment__in=appointments).values_list("appointment_id", flat=True))


def _extras_add(outcome: _Outcome, *, queued: bool) -> None:
    """PAT-2 for an accepted booking: the card arrives as Nieaktywna; and the audit's word on the waiting queue."""
    booking, patient = outcome.opened.booking, outcome.patient
    if booking.osoz_card_number:
        cards = patient.osoz_cards.values_list("number", flat=True)
        if booking.osoz_card_number not in cards:
            osoz_card_add(
                patient=patient,
                number=booking.osoz_card_number,
                status=OsozCardStatus.INACTIVE,
                source=OsozCardSource.ONLINE,
            )
            outcome.notes.append(_("Dodano kartę OSOZ ze statusem Nieaktywna."))
    if queued:
        outcome.notes.append(_("Pacjent pierwszorazowy NFZ – wpisano go do kolejki oczekujących (przypadek stabilny)."))
    if outcome.opened.payer is not None:
        resolved = outcome.opened.payer
        payer_booking_record(appointment=outcome.appointment, resolved=resolved)
        # PAY-9: the referrals the insurer issued with it are read from OSOZ once this commits.
        changes_record(ReferralsChanged(appointment_id=outcome.appointment.pk))
        outcome.notes.append(
            format_lazy(
                _("Umówił płatnik OSOZ „{payer}”, usługa „{service}”."),
                payer=resolved.payer.name,
                service=resolved.payer_service.name,
            )
        )


def doctor_and_time(booking: interface.Booking, cache: ApplyCache) -> Promise:
    schedule = cache.schedule(doctor_id=booking.doctor_id, schedule_id=booking.schedule_id)
    if schedule is not None:
        doctor = str(schedule.employee)
    else:
        doctor = format_lazy(_("lekarz {doctor_id}"), doctor_id=booking.doctor_id)
    return format_lazy("{}, {}", doctor, datetime_pl(booking.starts))


def _record_of(outcome: _Outcome, *, path: str, now: datetime) -> OsozBooking:
    """The decision; OSOZ knows it already when it came as the answer to the approval call."""
    booking = outcome.opened.booking
    state = OsozBookingState.REJECTED if outcome.refusal else OsozBookingState.ACCEPTED
    return OsozBooking(
        booking_id=outcome.opened.key,
        state=state,
        osoz_state=state if path == OsozBookingPath.APPROVAL else OsozBookingState.PENDING,
        reason=clinic_text(outcome.refusal.reason)[:500] if outcome.refusal else "",
        channel=booking.channel,
        starts_at=booking.starts,
        osoz_starts_at=booking.starts,
        path=path,
        received_at=now,
        patient=None if outcome.refusal else outcome.patient,
        appointment=outcome.appointment,
    )


def _audit_of(outcome: _Outcome, record: OsozBooking, cache: ApplyCache) -> AuditEvent:
    booking, refusal, who = outcome.opened.booking, outcome.refusal, outcome.opened.who
    where = doctor_and_time(booking, cache)
    if refusal is None:
        accepted = format_lazy(_("Przyjęto rezerwację z OSOZ: {who}, {booking}."), who=who, booking=where)
        notes = [*outcome.notes, _("Notatka pacjenta dodana do wizyty.")] if booking.patient_note else outcome.notes
        return audit_event(
            category=AuditCategory.INTEGRATION,
            action="osoz_booking_accepted",
            message=join_lazy(" ", [accepted, *notes]),
            actor_label=Actor.OSOZ,
            target=outcome.appointment,
        )
    about = format_lazy("{}, {}", who, where) if who else where
    if refusal.detail and refusal.detail != refusal.reason:
        message = format_lazy(
            _("Odrzucono rezerwację z OSOZ ({booking}): {reason} (przyczyna: {detail})"),
            booking=about,
            reason=refusal.reason,
            detail=phrase_lazy(refusal.detail),
        )
    else:
        message = format_lazy(
            _("Odrzucono rezerwację z OSOZ ({booking}): {reason}"), booking=about, reason=refusal.reason
        )
    return audit_event(
        category=AuditCategory.INTEGRATION,
        # Undecryptable data point at a key or a tampered document, which the administrator must look into; the
        # other refusals are the booking rules at work (Stan integracji lists only the former among its errors).
        action="osoz_booking_unreadable" if refusal.reason == UNREADABLE else "osoz_booking_rejected",
        message=message,
        actor_label=Actor.OSOZ,
        target=record,
        # Whatever the cause, the booking did not go through.
        outcome=AuditOutcome.FAILURE,
    )


def _apply_new(
    opened: list[_Opened], refused: dict[uuid.UUID, Refused], *, path: str, cache: ApplyCache, now: datetime
) -> dict[uuid.UUID, interface.BookingDecision]:
    """One attempt at bookings not recorded yet, in the caller's savepoint; a refused booking leaves only its
    record and audit. Raises IntegrityError or _Raced when the attempt must be made again: a concurrent write spoilt
    it, or the calendar refused bookings (now in `refused`)."""
    outcomes = [_Outcome(opened=item, refusal=item.refusal or refused.get(item.key)) for item in opened]
    _patients_find(_live(outcomes))
    _book(outcomes, refused)
    queued = _queued(_live(outcomes))
    for outcome in _live(outcomes):
        _extras_add(outcome, queued=outcome.appointment.pk in queued)
    # The unique booking id makes each booking's record the proof it was applied once: a record written meanwhile
    # by the other path trips it (IntegrityError) and the next attempt finds that record.
    records = OsozBooking.objects.bulk_create(_record_of(outcome, path=path, now=now) for outcome in outcomes)
    untold = [record for record in records if record.osoz_state != record.state]
    if untold:
        bookings_out.booking_enqueue(*untold)
    AuditEvent.objects.bulk_create(
        _audit_of(outcome, record, cache) for outcome, record in zip(outcomes, records, strict=True)
    )
    return {record.booking_id: _decision_of(record) for record in records}


def bookings_apply(
    bookings: Sequence[interface.Booking],
    *,
    path: str,
    cache: ApplyCache | None = None,
    now: datetime | None = None,
) -> list[interface.BookingDecision]:
    """Apply bookings made on OSOZ, each once per booking id whichever path brings it (OSZ-4, OSZ-5, OSZ-7), and
    return their decisions in order — for a booking applied already, the same decision again. With `path` approval
    OSOZ learns the decisions from the answer; from the feed, the outbox tells it (accept or reject).

    A page of the feed is applied as one set: the patients, the calendar's rules and the inserts cost a few queries
    for the whole page, and a refused booking writes nothing but its record. The booking ids must differ."""
    cache = cache or ApplyCache()
    now = now or timezone.now()
    opened = _opened(bookings, cache)
    if len({item.key for item in opened}) != len(opened):
        raise ValueError("bookings_apply takes each booking once")
    decisions: dict[uuid.UUID, interface.BookingDecision] = {}
    refused: dict[uuid.UUID, Refused] = {}  # by the calendar in an earlier attempt
    # Its own transaction, or part of the caller's (a feed page, which a failure here rolls back whole); in the
    # clinic's language, in which the booking rules word the refusals the patient may read as they are.
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic(savepoint=False):
        for attempt in range(ATTEMPTS):
            waiting = [item.key for item in opened if item.key not in decisions]
            for record in OsozBooking.objects.select_for_update().filter(booking_id__in=waiting):
                # Applied already (the other path, a retry or a duplicate), or cancelled by the patient before it came.
                if path == OsozBookingPath.FEED:
                    _answer_resend(record)
                decisions[record.booking_id] = _decision_of(record)
            new = [item for item in opened if item.key not in decisions]
            if not new:
                break
            for item in new:
                _open(item, cache)
            try:
                with transaction.atomic():
                    decisions.update(_apply_new(new, refused, path=path, cache=cache, now=now))
                break
            except (IntegrityError, _Raced):
                if attempt == ATTEMPTS - 1:
                    raise
    return [decisions[item.key] for item in opened]


def booking_apply(
    *, booking: interface.Booking, path: str, cache: ApplyCache | None = None, now: datetime | None = None
) -> interface.BookingDecision:
    """One booking (`bookings_apply` of one): the approval call's path, whose acceptance of a televisit hands OSOZ
    the patient's link (TV-8; from the feed, the accept command does)."""
    decision = bookings_apply([booking], path=path, cache=cache, now=now)[0]
    if decision.appointment_ref is None or booking.kind != AppointmentKind.TELEVISIT:
        return decision
    appointment = Appointment.objects.get(pk=decision.appointment_ref)
    return replace(decision, televisit_url=bookings_out.televisit_url(appointment))


def _answer_resend(record: OsozBooking) -> None:
    """The feed brings a booking decided through the approval call. The answer to that call may have been lost, and
    OSOZ then still holds the booking as pending, so the decision goes to OSOZ again through the outbox; OSOZ answers
    a decision it already has unchanged."""
    decided = record.state in (OsozBookingState.ACCEPTED, OsozBookingState.REJECTED)
    if record.path == OsozBookingPath.APPROVAL and decided and record.osoz_state == record.state:
        record.osoz_state = OsozBookingState.PENDING
        record.save(update_fields=["osoz_state"])
        bookings_out.booking_enqueue(record)
