"""Writes of schedules and appointments. `bookings_check` is the one place that decides whether a time may be booked;
the calendar, the API, the OSOZ integration and the portal all book through `appointments_book` — one appointment
(`appointment_book`) or a page of online bookings at once."""

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.models import Employee, EmployeeCell
from core.actors import Actor
from core.changes import changes_collect, changes_record
from core.db import transaction_locks
from core.errors import ConflictError, DomainError
from core.models import AuditCategory
from core.services import audit_record
from core.text import clinic_text, join_lazy
from core.time import WARSAW
from patients.models import Patient
from scheduling.changes import AppointmentCancelled, AppointmentMoved, CalendarChanged, ScheduleChanged, SlotsChanged
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    BookingSettings,
    RemovedSlot,
    Schedule,
    ScheduleBlock,
    SlotHold,
    WaitingCategory,
    WaitingListEntry,
)
from scheduling.selectors import (
    block_covering,
    booking_settings,
    occupancy,
    online_schedules,
    patients_returning,
    schedule_block_covering,
    schedule_blocks_on,
    waiting_list_first_free,
)
from scheduling.slots import block_slots

# The advisory-lock namespaces (core.db.transaction_locks) of doctors' calendars and of the holders of slot holds.
# Holders are locked before doctors, doctors before appointment, hold and outbox rows.
DOCTOR_CALENDAR_LOCK = 1
SLOT_HOLDER_LOCK = 2


class SlotTakenError(ConflictError):
    code = "slot_taken"


def actor_label_of(actor, source: str) -> str:
    """Who acted, as CAL-7 shows it: the staff member, or the channel ("OSOZ") for online actions."""
    if actor is not None:
        return actor.audit_label
    if source in (AppointmentSource.OSOZ, AppointmentSource.PAYER):
        return Actor.OSOZ
    # Stored with the appointment, so in the clinic's language, like the audit.
    return clinic_text(AppointmentSource(source).label)


# The channels through which patients and payers book themselves: only what is offered online (SCH-2), under SCH-3
# and SET-1. Staff (the calendar, the API) book any free slot of a schedule.
ONLINE_SOURCES = frozenset({AppointmentSource.OSOZ, AppointmentSource.PAYER, AppointmentSource.PORTAL})

# SET-1's refusal, in the specification's words, verbatim: the patient reads it wherever he booked.
NFZ_FIRST_TIME_REFUSED = gettext_lazy(
    "Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ samodzielnie. Prosimy o kontakt z placówką"
)


@dataclass(frozen=True)
class BookingRequest:
    """A time asked for with a doctor: to check (`bookings_check`) or to book for `patient` (`appointments_book`).
    `exclude_appointment_id` is the appointment being moved to this time."""

    employee_id: int
    starts_at: datetime
    ends_at: datetime | None = None
    kind: str = AppointmentKind.VISIT
    patient: Patient | None = None
    notes: str = ""
    exclude_appointment_id: int | None = None
    # The channel when it is not the call's: an OSOZ payer's booking among a page of patients' (PAY-7).
    source: str | None = None
    # Who asks (SlotHold.holder): his own live hold does not make the time taken for him, and booking consumes it.
    holder: str = ""


@dataclass(frozen=True)
class Placement:
    """A request that may be booked: the schedule and slot it takes, and whether it is a first-time NFZ patient's
    online booking, which SET-1 enters in the waiting queue."""

    schedule: Schedule
    ends_at: datetime
    first_time_nfz: bool = False


def _off_grid(block: ScheduleBlock, *, starts_at: datetime, ends_at: datetime | None) -> bool:
    """Whether the time is not one of the block's slots (slots.block_slots): a start off the grid, or a length
    other than one visit."""
    day = starts_at.astimezone(WARSAW).date()
    grid = dict(block_slots(day, start=block.start_time, end=block.end_time, minutes=block.visit_minutes))
    start = starts_at.timestamp()
    return start not in grid or (ends_at is not None and ends_at.timestamp() != grid[start])


def bookings_check(
    requests: Sequence[BookingRequest],
    *,
    source: str = AppointmentSource.CALENDAR,
    now: datetime | None = None,
) -> list[Placement | DomainError]:
    """Whether each request may be booked through `source`: its Placement, or the DomainError (Polish message) of the
    rule that refuses it — SlotTakenError when the time is taken. This is the one place the booking rules live, for
    every channel:

    - the time is timezone-aware, not past, and one of the free slots the slot engine offers: inside a block of the
      doctor's schedules, on the block's grid, one visit long, neither booked, removed nor held by somebody other
      than the request's holder (SlotHold);
    - a televisit only where the schedule allows one, an ordinary visit not where it allows televisits only;
    - online (ONLINE_SOURCES) only in a schedule offered online (SCH-2), only the day's first free slot where the
      schedule says "Wybieraj pierwszy wolny termin" (SCH-3), and a first-time NFZ patient only where SET-1 allows
      it (he is then queued).

    Requests are judged in order as if each one that passes were booked before the next, so a later request
    overlapping an earlier one is refused. A few queries whatever the number of requests."""
    now = now or timezone.now()
    online = source in ONLINE_SOURCES
    results: list = [None] * len(requests)
    for index, request in enumerate(requests):
        if timezone.is_naive(request.starts_at) or (request.ends_at is not None and timezone.is_naive(request.ends_at)):
            results[index] = DomainError(_("Podaj czas wizyty ze strefą czasową."), code="naive_time")
        elif request.starts_at < now:
            results[index] = DomainError(_("Nie można umówić wizyty w przeszłości."), code="past")
    timed = [index for index, result in enumerate(results) if result is None]
    days = {i: (requests[i].employee_id, requests[i].starts_at.astimezone(WARSAW).date()) for i in timed}
    blocks = schedule_blocks_on(set(days.values()))
    covered = {}
    for index in timed:
        request = requests[index]
        covering = block_covering(blocks[days[index]], starts_at=request.starts_at, ends_at=request.ends_at)
        if covering is None:
            results[index] = DomainError(
                _("Wybrany czas nie mieści się w harmonogramie lekarza. Wybierz wolny termin z kalendarza."),
                code="outside_schedule",
            )
            continue
        schedule, block, end = covering
        if end <= request.starts_at:
            results[index] = DomainError(_("Koniec wizyty musi być późniejszy niż jej początek."), code="times_order")
        elif _off_grid(block, starts_at=request.starts_at, ends_at=request.ends_at):
            results[index] = DomainError(
                _(
                    "Wizyta musi zaczynać się o godzinie jednego z wolnych terminów harmonogramu (co %(minutes)s min "
                    "od %(start)s). Wybierz wolny termin z kalendarza."
                )
                % {"minutes": block.visit_minutes, "start": block.start_time.strftime("%H:%M")},
                code="off_grid",
            )
        elif request.kind == AppointmentKind.TELEVISIT and not (schedule.televisit_possible or schedule.televisit_only):
            results[index] = DomainError(_("Ten harmonogram nie przewiduje telewizyt."), code="televisit_not_allowed")
        elif request.kind != AppointmentKind.TELEVISIT and schedule.televisit_only:
            results[index] = DomainError(_("Ten harmonogram przewiduje wyłącznie telewizyty."), code="televisit_only")
        else:
            covered[index] = (schedule, end)
    if online and covered:
        offered = set(
            online_schedules()
            .filter(pk__in={schedule.pk for schedule, _end in covered.values()})
            .values_list("pk", flat=True)
        )
        for index in [i for i, (schedule, _end) in covered.items() if schedule.pk not in offered]:
            del covered[index]
            results[index] = DomainError(
                _("Ten termin nie jest udostępniony do rejestracji online."), code="not_offered_online"
            )
    if not covered:
        return results
    start = min(requests[i].starts_at for i in covered)
    first_free_days = [days[i][1] for i, (schedule, _end) in covered.items() if online and schedule.first_free_only]
    if first_free_days:
        # SCH-3 looks for the first free slot before the time asked for, so its days are read from midnight.
        start = min(start, datetime.combine(min(first_free_days), time.min, tzinfo=WARSAW))
    occupied = occupancy(
        employee_ids={requests[i].employee_id for i in covered},
        start=start,
        end=max(end for _schedule, end in covered.values()),
        now=now,
    )
    first_time = _first_time_nfz(requests, covered) if online else {}
    nfz_first_time_allowed = booking_settings().nfz_first_time_online if first_time else True
    booked_now: set[tuple[int, int]] = set()  # (id() of the patient, cell id) booked earlier in this call
    for index, (schedule, end) in covered.items():
        request = requests[index]
        times = {"employee_id": request.employee_id, "starts_at": request.starts_at, "ends_at": end}
        patient_in_cell = (id(request.patient), schedule.cell_id)
        first_time_nfz = first_time.get(index, False) and patient_in_cell not in booked_now
        if occupied.removed_overlaps(**times):
            results[index] = SlotTakenError(_("Ten termin został usunięty z harmonogramu."))
        elif occupied.appointment_overlaps(**times, exclude_id=request.exclude_appointment_id):
            results[index] = SlotTakenError(_("Ten termin jest już zajęty. Wybierz inny wolny termin."))
        elif occupied.held_overlaps(**times, holder=request.holder):
            results[index] = SlotTakenError(
                _("Ten termin jest już zajęty – pacjent właśnie go rezerwuje. Wybierz inny wolny termin.")
            )
        elif (
            online
            and schedule.first_free_only
            and request.starts_at
            != occupied.first_free(
                blocks[days[index]],
                schedule_id=schedule.pk,
                employee_id=request.employee_id,
                day=days[index][1],
                not_before=now,
                holder=request.holder,
            )
        ):
            results[index] = DomainError(
                _("W tym harmonogramie można umówić tylko pierwszy wolny termin dnia. Prosimy wybrać ten termin."),
                code="not_first_free",
            )
        elif first_time_nfz and not nfz_first_time_allowed:
            results[index] = DomainError(str(NFZ_FIRST_TIME_REFUSED), code="nfz_first_time")
        else:
            occupied.occupy(**times)
            booked_now.add(patient_in_cell)
            results[index] = Placement(schedule=schedule, ends_at=end, first_time_nfz=first_time_nfz)
    return results


def _first_time_nfz(requests: Sequence[BookingRequest], covered: dict) -> dict[int, bool]:
    """SET-1: which online NFZ requests are of a pacjent pierwszorazowy — one with no earlier appointment in that
    cell that was not cancelled (a new patient, not saved yet, has none). One query."""
    nfz = {index: schedule.cell_id for index, (schedule, _end) in covered.items() if schedule.is_nfz}
    returning = patients_returning(
        {(requests[i].patient.pk, cell_id) for i, cell_id in nfz.items() if requests[i].patient.pk}
    )
    return {i: (requests[i].patient.pk, cell_id) not in returning for i, cell_id in nfz.items()}


def booking_check(
    *,
    employee_id: int,
    starts_at: datetime,
    ends_at: datetime | None = None,
    kind: str = AppointmentKind.VISIT,
    exclude_appointment_id: int | None = None,
    source: str = AppointmentSource.CALENDAR,
    now: datetime | None = None,
) -> Placement:
    """Whether [starts_at, ends_at) may be booked with this doctor (`bookings_check` of one); returns its Placement,
    or raises the DomainError that refuses it."""
    request = BookingRequest(
        employee_id=employee_id,
        starts_at=starts_at,
        ends_at=ends_at,
        kind=kind,
        exclude_appointment_id=exclude_appointment_id,
    )
    result = bookings_check([request], source=source, now=now)[0]
    if isinstance(result, DomainError):
        raise result
    return result


def _save_occupying(appointment: Appointment) -> None:
    """Save, turning the database's no-overlap rule (a race lost to another booking) into SlotTakenError. Its callers
    are atomic blocks that the error leaves, rolling the failed statement back, so it needs no savepoint of its own."""
    try:
        appointment.save()
    except IntegrityError as error:
        if "scheduling_appointment_no_overlap" in str(error):
            raise SlotTakenError(_("Ten termin został właśnie zajęty. Wybierz inny wolny termin.")) from error
        raise


def _insert_occupying(appointments: list[Appointment]) -> list[Appointment | SlotTakenError]:
    """Insert in one statement. When the no-overlap rule trips (a concurrent booking took one of the times), each is
    inserted on its own to find which ones lost."""
    try:
        with transaction.atomic():
            Appointment.objects.bulk_create(appointments)
        return list(appointments)
    except IntegrityError as error:
        if "scheduling_appointment_no_overlap" not in str(error):
            raise
        if len(appointments) == 1:
            return [SlotTakenError(_("Ten termin został właśnie zajęty. Wybierz inny wolny termin."))]
    results: list[Appointment | SlotTakenError] = []
    for appointment in appointments:
        try:
            with transaction.atomic():
                _save_occupying(appointment)
            results.append(appointment)
        except SlotTakenError as taken:
            results.append(taken)
    return results


@transaction.atomic
def appointments_book(
    requests: Sequence[BookingRequest], *, source: str, actor=None, now: datetime | None = None
) -> list[Appointment | DomainError]:
    """Book each request for its patient: the appointment, or the DomainError that refused it. Many at once (a page
    of online bookings) cost the same few queries as one, and each doctor's slots are republished and calendars
    refreshed once. A first-time NFZ patient booked online is entered in the cell's waiting queue (SET-1)."""
    holders = {request.holder for request in requests if request.holder}
    held_by_them = SlotHold.objects.filter(holder__in=holders).values_list("employee_id", flat=True)
    _doctors_lock([*(request.employee_id for request in requests), *(held_by_them if holders else ())])
    results: list = bookings_check(requests, source=source, now=now)
    placements: dict[int, Placement] = {}
    for index, (request, result) in enumerate(zip(requests, results, strict=True)):
        if isinstance(result, DomainError):
            continue
        placements[index] = result
        schedule, end = result.schedule, result.ends_at
        results[index] = Appointment(
            employee=schedule.employee,
            cell_id=schedule.cell_id,
            schedule=schedule,
            patient=request.patient,
            starts_at=request.starts_at,
            ends_at=end,
            source=request.source or source,
            kind=request.kind,
            is_nfz=schedule.is_nfz,
            notes=request.notes,
            booked_by=actor,
            booked_by_label=actor_label_of(actor, request.source or source),
        )
    with changes_collect():
        for index, result in zip(placements, _insert_occupying([results[i] for i in placements]), strict=True):
            results[index] = result
            if isinstance(result, Appointment):
                _calendar_changed(result.employee_id, result.starts_at, slots=True)
                if placements[index].first_time_nfz:
                    _first_time_nfz_queue(result, label=actor_label_of(actor, source), now=now)
                if requests[index].holder:
                    _holds_delete(SlotHold.objects.filter(holder=requests[index].holder))
    return results


def _first_time_nfz_queue(appointment: Appointment, *, label: str, now: datetime | None) -> None:
    try:
        waiting_list_add(
            cell=appointment.cell,
            patient=appointment.patient,
            category=WaitingCategory.STABLE,
            added_by_label=label,
            appointment=appointment,
            now=now,
        )
    except DomainError as error:
        if error.code != "already_waiting":
            raise


def appointment_book(
    *,
    employee_id: int,
    starts_at: datetime,
    patient,
    source: str,
    actor=None,
    ends_at: datetime | None = None,
    kind: str = AppointmentKind.VISIT,
    notes: str = "",
) -> Appointment:
    """One appointment (`appointments_book` of one), or the DomainError that refuses it raised."""
    request = BookingRequest(
        employee_id=employee_id, starts_at=starts_at, ends_at=ends_at, kind=kind, patient=patient, notes=notes
    )
    result = appointments_book([request], source=source, actor=actor)[0]
    if isinstance(result, DomainError):
        raise result
    return result


def _doctors_lock(employee_ids: Iterable[int]) -> None:
    """Writers that put appointments into doctors' calendars (booking, moving) take their doctors first, in one
    order, then the appointment rows, then the outbox rows: two conflicting inserts no longer wait on each other's
    no-overlap check (a deadlock, answered 500), the later one waits for the earlier to commit and gets a clean
    SlotTakenError (CAL-3)."""
    transaction_locks(DOCTOR_CALENDAR_LOCK, employee_ids)


def _holds_delete(holds, *, skip_locked: bool = False) -> int:
    """Delete these holds, recording the change of each doctor's calendar and slots (a hold may have lapsed in the
    meantime, yet OSOZ has not been told it is free again until now). The caller holds their doctors' locks."""
    deleted = list(holds.select_for_update(skip_locked=skip_locked).values_list("pk", "employee_id", "starts_at"))
    if not deleted:
        return 0
    SlotHold.objects.filter(pk__in=[pk for pk, _employee_id, _starts_at in deleted]).delete()
    with changes_collect():
        for _pk, employee_id, starts_at in deleted:
            _calendar_changed(employee_id, starts_at, slots=True)
    return len(deleted)


@transaction.atomic
def slot_hold_take(*, request: BookingRequest, holder: str, source: str, minutes: int, now=None) -> SlotHold:
    """Hold the requested slot for `holder` for `minutes` while he confirms it: judged by `bookings_check` with the
    request's patient through `source` first, so every booking rule applies before the slot is held. A holder keeps
    one hold: taking another releases the one he had."""
    if not holder:
        raise ValueError("a hold needs a holder")
    now = now or timezone.now()
    # One holder's holds are taken one at a time (a double click), so he never ends up with two.
    transaction_locks(SLOT_HOLDER_LOCK, [zlib.crc32(holder.encode()) & 0x7FFFFFFF])
    held = SlotHold.objects.filter(holder=holder)
    _doctors_lock([request.employee_id, *held.values_list("employee_id", flat=True)])
    request = replace(request, holder=holder)
    result = bookings_check([request], source=source, now=now)[0]
    if isinstance(result, DomainError):
        raise result
    with changes_collect():
        _holds_delete(held)
        hold = SlotHold.objects.create(
            employee_id=request.employee_id,
            schedule=result.schedule,
            starts_at=request.starts_at,
            ends_at=result.ends_at,
            kind=request.kind,
            holder=holder,
            expires_at=now + timedelta(minutes=minutes),
            created_at=now,
        )
        _calendar_changed(hold.employee_id, hold.starts_at, slots=True)
    return hold


@transaction.atomic
def slot_hold_release(*, holder: str) -> bool:
    """Give the holder's slot back at once (he chose "Anuluj"); whether he held one."""
    held = SlotHold.objects.filter(holder=holder)
    _doctors_lock(held.values_list("employee_id", flat=True))
    return _holds_delete(held) > 0


@transaction.atomic
def slot_holds_expire(*, now: datetime | None = None) -> int:
    """Delete the holds that have lapsed and record the changes, so OSOZ gets the slots back and open calendars
    redraw them free. Each hold is claimed under a row lock (skipping one a booking is consuming), so concurrent
    sweeps and bookings never handle one twice. How many were deleted."""
    expired = SlotHold.objects.filter(expires_at__lte=now or timezone.now())
    employee_ids = set(expired.values_list("employee_id", flat=True))
    _doctors_lock(employee_ids)
    return _holds_delete(expired.filter(employee_id__in=employee_ids), skip_locked=True)


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().get(pk=appointment.pk)


def _calendar_changed(employee_id: int, *moments: datetime, slots: bool, also=()) -> None:
    """Record that the doctor's calendar changed on the days of these moments, and his free slots with it if `slots`,
    with any further changes in `also`."""
    changes = [CalendarChanged.at(employee_id=employee_id, moment=moment) for moment in moments]
    if slots:
        changes.append(SlotsChanged(employee_id=employee_id))
    changes_record(*also, *changes)


@transaction.atomic
def appointment_move(*, appointment: Appointment, starts_at: datetime, actor=None) -> Appointment:
    _doctors_lock([appointment.employee_id])
    appointment = _locked(appointment)
    if not appointment.can_move():
        raise DomainError(
            _("Przesunąć można tylko umówioną wizytę, na którą pacjent jeszcze nie przybył."), code="not_movable"
        )
    old_start = appointment.starts_at
    placement = booking_check(
        employee_id=appointment.employee_id,
        starts_at=starts_at,
        kind=appointment.kind,
        exclude_appointment_id=appointment.pk,
    )
    schedule = placement.schedule
    appointment.starts_at, appointment.ends_at = starts_at, placement.ends_at
    appointment.schedule, appointment.cell_id, appointment.is_nfz = schedule, schedule.cell_id, schedule.is_nfz
    _save_occupying(appointment)
    _calendar_changed(
        appointment.employee_id,
        old_start,
        starts_at,
        slots=True,
        also=[AppointmentMoved(appointment_id=appointment.pk)],
    )
    return appointment


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, source: str, reason: str = "", actor=None, now: datetime | None = None
) -> Appointment:
    """Cancel the visit (CAL-4). A waiting-queue entry made for it (SET-1) goes with it: the patient no longer waits
    for that visit, and reception may enter him again."""
    appointment = _locked(appointment)
    if not appointment.can_cancel():
        raise DomainError(_("Tej wizyty nie można już odwołać."), code="not_cancellable")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now or timezone.now()
    appointment.cancelled_by = actor
    appointment.cancelled_by_label = actor_label_of(actor, source)
    appointment.cancel_reason = reason.strip()
    appointment.cancel_source = source
    appointment.save()
    WaitingListEntry.objects.filter(appointment=appointment).delete()
    _calendar_changed(
        appointment.employee_id,
        appointment.starts_at,
        slots=True,
        also=[AppointmentCancelled(appointment_id=appointment.pk, source=source)],
    )
    return appointment


@transaction.atomic
def appointment_confirm(*, appointment: Appointment, now: datetime | None = None) -> Appointment:
    """The patient has arrived (CAL-4)."""
    appointment = _locked(appointment)
    now = now or timezone.now()
    if appointment.status != AppointmentStatus.BOOKED:
        raise DomainError(_("Przybycie można potwierdzić tylko dla umówionej wizyty."), code="not_booked")
    if not appointment.can_confirm(now):
        raise DomainError(_("Przybycie pacjenta można potwierdzić tylko w dniu wizyty."), code="not_today")
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.confirmed_at = now
    appointment.save(update_fields=["status", "confirmed_at", "updated_at"])
    _calendar_changed(appointment.employee_id, appointment.starts_at, slots=False)
    return appointment


@transaction.atomic
def appointment_open_visit(*, appointment: Appointment) -> Appointment:
    appointment = _locked(appointment)
    if not appointment.can_open_visit():
        raise DomainError(_("Wizytę można otworzyć po potwierdzeniu przybycia pacjenta."), code="not_confirmed")
    if appointment.status == AppointmentStatus.CONFIRMED:
        appointment.status = AppointmentStatus.IN_VISIT
        appointment.save(update_fields=["status", "updated_at"])
    return appointment


@transaction.atomic
def appointment_finish_visit(*, appointment: Appointment) -> Appointment:
    appointment = _locked(appointment)
    if not appointment.can_finish_visit():
        raise DomainError(_("Zakończyć można tylko otwartą wizytę."), code="not_in_visit")
    appointment.status = AppointmentStatus.DONE
    appointment.save(update_fields=["status", "updated_at"])
    _calendar_changed(appointment.employee_id, appointment.starts_at, slots=False)
    return appointment


@transaction.atomic
def appointment_notes_update(*, appointment: Appointment, notes: str) -> Appointment:
    """ "Notatki związane z wizytą" (CAL-6), written in the visit view; the calendar's side panel shows them."""
    appointment = _locked(appointment)
    if not appointment.can_write_visit():
        raise DomainError(_("Notatki wizyty zapisuje się w otwartej wizycie."), code="visit_not_open")
    appointment.notes = notes.strip()
    appointment.save(update_fields=["notes", "updated_at"])
    _calendar_changed(appointment.employee_id, appointment.starts_at, slots=False)
    return appointment


@transaction.atomic
def slot_remove(*, employee_id: int, starts_at: datetime, actor, reason: str = "") -> RemovedSlot:
    """Take a free slot out of the schedule (CAL-5)."""
    covering = schedule_block_covering(employee_id=employee_id, starts_at=starts_at, ends_at=None)
    if covering is None:
        raise DomainError(_("W tym czasie lekarz nie ma harmonogramu."), code="outside_schedule")
    schedule, _block, end = covering
    occupied = occupancy(employee_ids=[employee_id], start=starts_at, end=end)
    if occupied.appointment_overlaps(employee_id=employee_id, starts_at=starts_at, ends_at=end):
        raise SlotTakenError(_("Ten termin jest zajęty przez umówienie – najpierw je odwołaj lub przesuń."))
    if occupied.held_overlaps(employee_id=employee_id, starts_at=starts_at, ends_at=end):
        raise SlotTakenError(
            _("Pacjent właśnie rezerwuje ten termin w Portalu Pacjenta. Spróbuj ponownie za kilka minut.")
        )
    removed, created = RemovedSlot.objects.get_or_create(
        employee_id=employee_id,
        starts_at=starts_at,
        defaults={"schedule": schedule, "ends_at": end, "reason": reason.strip(), "removed_by": actor},
    )
    if created:
        _calendar_changed(employee_id, starts_at, slots=True)
    return removed


@transaction.atomic
def slot_restore(*, removed: RemovedSlot) -> None:
    employee_id, starts_at = removed.employee_id, removed.starts_at
    removed.delete()
    _calendar_changed(employee_id, starts_at, slots=True)


@transaction.atomic
def booking_settings_update(
    *,
    nfz_first_time_online: bool | None = None,
    osoz_cards_enabled: bool | None = None,
    televisit_recordings_attached: bool | None = None,
    portal_cancel_hours: int | None = None,
    actor=None,
    request=None,
):
    """Change the clinic-wide booking settings (SET-1, SET-2, the portal's cancellation cut-off); each setting that
    changed is audited."""
    settings, _created = BookingSettings.objects.select_for_update().get_or_create(id=BookingSettings.SINGLETON_ID)
    changes = {
        "nfz_first_time_online": nfz_first_time_online,
        "osoz_cards_enabled": osoz_cards_enabled,
        "televisit_recordings_attached": televisit_recordings_attached,
        "portal_cancel_hours": portal_cancel_hours,
    }
    changed = [name for name, value in changes.items() if value is not None and getattr(settings, name) != value]
    for name in changed:
        setattr(settings, name, changes[name])
    settings.save()
    for name in changed:
        label = settings._meta.get_field(name).verbose_name
        if not isinstance(changes[name], bool):
            message = gettext_lazy("Zmieniono ustawienie „{setting}” na {value}.")
        elif changes[name]:
            message = gettext_lazy("Włączono ustawienie „{setting}”.")
        else:
            message = gettext_lazy("Wyłączono ustawienie „{setting}”.")
        audit_record(
            category=AuditCategory.CONFIGURATION,
            action="booking_settings_changed",
            message=format_lazy(message, setting=label, value=changes[name]),
            actor=actor,
            target=settings,
            request=request,
        )
    return settings


@dataclass(frozen=True)
class BlockSpec:
    weekday: int
    start_time: time
    end_time: time
    visit_minutes: int


def schedule_osoz_unavailable_reason(*, employee, cell) -> str | None:
    """Why a schedule's OSOZ settings are disabled for this employee and cell (SCH-2), or None when available."""
    if not employee.osoz_enabled:
        return _(
            "Ustawienia OSOZ są niedostępne: w danych pracownika nie zaznaczono opcji "
            "„Rejestracja online w systemie OSOZ”."
        )
    if not EmployeeCell.objects.filter(employee=employee, cell=cell, osoz_published=True).exists():
        return _(
            "Ustawienia OSOZ są niedostępne: komórka „%(cell)s” nie jest zaznaczona w kolumnie "
            "„Komórki przekazywane do OSOZ” w danych pracownika."
        ) % {"cell": cell}
    return None


def _overlaps(a: BlockSpec, b: BlockSpec) -> bool:
    return a.weekday == b.weekday and a.start_time < b.end_time and b.start_time < a.end_time


def _validate_schedule(schedule: Schedule, blocks: list[BlockSpec]) -> None:
    if not blocks:
        raise DomainError(_("Dodaj co najmniej jeden blok rozkładu tygodniowego."), code="no_blocks")
    if schedule.valid_to is not None and schedule.valid_to < schedule.valid_from:
        raise DomainError(_("Data „Obowiązuje do” nie może być wcześniejsza niż „Obowiązuje od”."), code="dates")
    if not EmployeeCell.objects.filter(employee_id=schedule.employee_id, cell_id=schedule.cell_id).exists():
        raise DomainError(_("Pracownik nie pracuje w wybranej komórce."), code="cell")
    for block in blocks:
        if block.end_time <= block.start_time:
            raise DomainError(
                _("Blok musi kończyć się później, niż się zaczyna, i nie może przechodzić przez północ."),
                code="block_times",
            )
        length = (block.end_time.hour * 60 + block.end_time.minute) - (
            block.start_time.hour * 60 + block.start_time.minute
        )
        if not 5 <= block.visit_minutes <= length:
            raise DomainError(
                _("Długość wizyty musi wynosić od 5 minut do długości bloku (%(minutes)s min).") % {"minutes": length},
                code="visit_length",
            )
    for index, block in enumerate(blocks):
        if any(_overlaps(block, other) for other in blocks[index + 1 :]):
            raise DomainError(_("Bloki rozkładu tygodniowego nakładają się na siebie."), code="blocks_overlap")
    others = Schedule.objects.filter(employee_id=schedule.employee_id).exclude(pk=schedule.pk)
    others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=schedule.valid_from))
    if schedule.valid_to is not None:
        others = others.filter(valid_from__lte=schedule.valid_to)
    for other in others.prefetch_related("blocks"):
        for other_block in other.blocks.all():
            spec = BlockSpec(other_block.weekday, other_block.start_time, other_block.end_time, 0)
            if any(_overlaps(block, spec) for block in blocks):
                raise DomainError(
                    _("Bloki nakładają się na inny harmonogram tego pracownika: %(other)s, %(block)s.")
                    % {"other": other, "block": other_block},
                    code="schedules_overlap",
                )
    uses_osoz = schedule.osoz_online or any(
        (schedule.first_free_only, schedule.children_sick, schedule.children_healthy, schedule.osoz_requirement)
    )
    if uses_osoz:
        reason = schedule_osoz_unavailable_reason(employee=schedule.employee, cell=schedule.cell)
        if reason:
            raise DomainError(reason, code="osoz_unavailable")
    if (schedule.televisit_possible or schedule.televisit_only) and not schedule.osoz_online:
        raise DomainError(
            _("„Możliwa telewizyta” i „Tylko telewizyta” wymagają zaznaczenia „Rejestracja on-line (OSOZ)”."),
            code="televisit_needs_osoz",
        )
    if schedule.televisit_possible and schedule.televisit_only:
        raise DomainError(
            _("Wybierz „Możliwa telewizyta” albo „Tylko telewizyta” – nie obie naraz."), code="televisit_exclusive"
        )


@transaction.atomic
def schedule_save(*, schedule: Schedule, blocks: list[BlockSpec], actor, sections: Sequence = ()) -> Schedule:
    """Create or change a schedule with its whole weekly layout (SCH-1, SCH-2) and what the sections other apps add
    to it save (scheduling.forms.ScheduleSection: the payer settings, SCH-4), all or nothing: a section's
    DomainError refuses the schedule as well. The audit entry names what the sections changed; the change recorded
    last publishes the schedule with everything saved here."""
    # One employee's schedules are saved one at a time, so two overlapping saves cannot both pass the check.
    Employee.objects.select_for_update().get(pk=schedule.employee_id)
    _validate_schedule(schedule, blocks)
    created = schedule.pk is None
    schedule.save()
    schedule.blocks.all().delete()
    ScheduleBlock.objects.bulk_create(
        ScheduleBlock(
            schedule=schedule,
            weekday=block.weekday,
            start_time=block.start_time,
            end_time=block.end_time,
            visit_minutes=block.visit_minutes,
        )
        for block in blocks
    )
    phrases = [phrase for section in sections if (phrase := section.save(schedule=schedule)) is not None]
    if created:
        message = gettext_lazy("Dodano harmonogram: {schedule}.")
    else:
        message = gettext_lazy("Zmieniono harmonogram: {schedule}.")
    message = format_lazy(message, schedule=str(schedule))
    if phrases:
        message = join_lazy(" ", [message, format_lazy("{}.", join_lazy("; ", phrases))])
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action="schedule_created" if created else "schedule_changed",
        message=message,
        actor=actor,
        target=schedule,
    )
    _calendar_changed(
        schedule.employee_id, timezone.now(), slots=False, also=[ScheduleChanged(schedule_id=schedule.pk)]
    )
    return schedule


@transaction.atomic
def waiting_list_add(
    *,
    cell,
    patient,
    category: str,
    added_by_label: str,
    appointment: Appointment | None = None,
    now: datetime | None = None,
) -> WaitingListEntry:
    """Enter a patient in the cell's waiting queue with the first free date of that cell (SET-1). An online NFZ
    booking of a first-time patient passes its appointment, which the queue then shows."""
    # One patient's entries are added one at a time, so a double submit cannot enter him twice.
    type(patient).objects.select_for_update().get(pk=patient.pk)
    if WaitingListEntry.objects.filter(cell=cell, patient=patient).exists():
        raise DomainError(
            _("Pacjent jest już w kolejce oczekujących komórki „%(cell)s”.") % {"cell": cell}, code="already_waiting"
        )
    first_free = waiting_list_first_free(cell=cell, now=now or timezone.now())
    return WaitingListEntry.objects.create(
        cell=cell,
        patient=patient,
        category=category,
        first_free_date=first_free.starts_at if first_free else None,
        appointment=appointment,
        added_by_label=added_by_label[:150],
    )
