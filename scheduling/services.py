"""Writes of schedules and appointments. `booking_check` is the one place that decides whether a time may be booked;
the calendar, the API, the OSOZ integration and the portal all book through `appointment_book`."""

from dataclasses import dataclass
from datetime import datetime, time

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.models import Employee, EmployeeCell
from core.errors import ConflictError, DomainError
from core.models import AuditCategory
from core.services import audit_record
from osoz_integration.bookings_out import booking_enqueue
from osoz_integration.models import OsozBooking, OsozBookingState, OutboxKind
from osoz_integration.publication import publication_enqueue
from scheduling import live
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    BookingSettings,
    RemovedSlot,
    Schedule,
    ScheduleBlock,
    WaitingListEntry,
)
from scheduling.selectors import (
    overlapping_appointments,
    removed_slots_overlapping,
    schedule_block_covering,
    waiting_list_first_free,
)

OSOZ_ACTOR = "OSOZ"


class SlotTakenError(ConflictError):
    code = "slot_taken"


def actor_label_of(actor, source: str) -> str:
    """Who acted, as CAL-7 shows it: the staff member, or the channel ("OSOZ") for online actions."""
    if actor is not None:
        return actor.audit_label
    return (
        OSOZ_ACTOR
        if source in (AppointmentSource.OSOZ, AppointmentSource.PAYER)
        else str(AppointmentSource(source).label)
    )


def booking_check(
    *,
    employee_id: int,
    starts_at: datetime,
    ends_at: datetime | None = None,
    kind: str = AppointmentKind.VISIT,
    exclude_appointment_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Schedule, datetime]:
    """Whether [starts_at, ends_at) may be booked with this doctor; returns the schedule and the end time.

    Raises DomainError with a Polish message when a rule refuses it, SlotTakenError when the time is taken."""
    if timezone.is_naive(starts_at) or (ends_at is not None and timezone.is_naive(ends_at)):
        raise DomainError(_("Podaj czas wizyty ze strefą czasową."), code="naive_time")
    if starts_at < (now or timezone.now()):
        raise DomainError(_("Nie można umówić wizyty w przeszłości."), code="past")
    covering = schedule_block_covering(employee_id=employee_id, starts_at=starts_at, ends_at=ends_at)
    if covering is None:
        raise DomainError(
            _("Wybrany czas nie mieści się w harmonogramie lekarza. Wybierz wolny termin z kalendarza."),
            code="outside_schedule",
        )
    schedule, _block, end = covering
    if end <= starts_at:
        raise DomainError(_("Koniec wizyty musi być późniejszy niż jej początek."), code="times_order")
    if kind == AppointmentKind.TELEVISIT and not (schedule.televisit_possible or schedule.televisit_only):
        raise DomainError(_("Ten harmonogram nie przewiduje telewizyt."), code="televisit_not_allowed")
    if kind != AppointmentKind.TELEVISIT and schedule.televisit_only:
        raise DomainError(_("Ten harmonogram przewiduje wyłącznie telewizyty."), code="televisit_only")
    if removed_slots_overlapping(employee_id=employee_id, starts_at=starts_at, ends_at=end).exists():
        raise SlotTakenError(_("Ten termin został usunięty z harmonogramu."))
    if overlapping_appointments(
        employee_id=employee_id, starts_at=starts_at, ends_at=end, exclude_id=exclude_appointment_id
    ).exists():
        raise SlotTakenError(_("Ten termin jest już zajęty. Wybierz inny wolny termin."))
    return schedule, end


def _save_occupying(appointment: Appointment) -> None:
    """Save, turning the database's no-overlap rule (a race lost to another booking) into SlotTakenError. Its callers
    are atomic blocks that the error leaves, rolling the failed statement back, so it needs no savepoint of its own."""
    try:
        appointment.save()
    except IntegrityError as error:
        if "scheduling_appointment_no_overlap" in str(error):
            raise SlotTakenError(_("Ten termin został właśnie zajęty. Wybierz inny wolny termin.")) from error
        raise


@transaction.atomic
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
    schedule, end = booking_check(employee_id=employee_id, starts_at=starts_at, ends_at=ends_at, kind=kind)
    appointment = Appointment(
        employee=schedule.employee,
        cell_id=schedule.cell_id,
        schedule=schedule,
        patient=patient,
        starts_at=starts_at,
        ends_at=end,
        source=source,
        kind=kind,
        is_nfz=schedule.is_nfz,
        notes=notes,
        booked_by=actor,
        booked_by_label=actor_label_of(actor, source),
    )
    _save_occupying(appointment)
    publication_enqueue(kind=OutboxKind.SLOTS, object_id=employee_id)
    live.calendar_changed(employee_id=employee_id, day=starts_at)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().get(pk=appointment.pk)


def _osoz_booking_changed(appointment: Appointment, *, cancelled: bool) -> None:
    """OSZ-8: the clinic cancelled or moved an online booking OSOZ holds as accepted, so OSOZ is told and notifies
    the patient. Changes OSOZ made itself (a patient's cancellation) are recorded as known by the caller instead."""
    booking = OsozBooking.objects.filter(appointment=appointment, state=OsozBookingState.ACCEPTED).first()
    if booking is None:
        return
    if cancelled:
        booking.state = OsozBookingState.CANCELLED_BY_CLINIC
        booking.save(update_fields=["state"])
    booking_enqueue(booking)


@transaction.atomic
def appointment_move(*, appointment: Appointment, starts_at: datetime, actor=None) -> Appointment:
    appointment = _locked(appointment)
    if appointment.status not in (AppointmentStatus.BOOKED,):
        raise DomainError(_("Przesunąć można tylko umówioną wizytę, na którą pacjent jeszcze nie przybył."))
    old_start = appointment.starts_at
    schedule, end = booking_check(
        employee_id=appointment.employee_id,
        starts_at=starts_at,
        kind=appointment.kind,
        exclude_appointment_id=appointment.pk,
    )
    appointment.starts_at, appointment.ends_at = starts_at, end
    appointment.schedule, appointment.cell_id, appointment.is_nfz = schedule, schedule.cell_id, schedule.is_nfz
    _save_occupying(appointment)
    _osoz_booking_changed(appointment, cancelled=False)
    publication_enqueue(kind=OutboxKind.SLOTS, object_id=appointment.employee_id)
    live.calendar_changed(employee_id=appointment.employee_id, day=old_start)
    live.calendar_changed(employee_id=appointment.employee_id, day=starts_at)
    return appointment


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, source: str, reason: str = "", actor=None, now: datetime | None = None
) -> Appointment:
    appointment = _locked(appointment)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
        raise DomainError(_("Tej wizyty nie można już odwołać."), code="not_cancellable")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now or timezone.now()
    appointment.cancelled_by = actor
    appointment.cancelled_by_label = actor_label_of(actor, source)
    appointment.cancel_reason = reason.strip()
    appointment.cancel_source = source
    appointment.save()
    if source != AppointmentSource.OSOZ:
        _osoz_booking_changed(appointment, cancelled=True)
    publication_enqueue(kind=OutboxKind.SLOTS, object_id=appointment.employee_id)
    live.calendar_changed(employee_id=appointment.employee_id, day=appointment.starts_at)
    return appointment


@transaction.atomic
def appointment_confirm(*, appointment: Appointment, now: datetime | None = None) -> Appointment:
    """The patient has arrived (CAL-4)."""
    appointment = _locked(appointment)
    if appointment.status != AppointmentStatus.BOOKED:
        raise DomainError(_("Przybycie można potwierdzić tylko dla umówionej wizyty."), code="not_booked")
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.confirmed_at = now or timezone.now()
    appointment.save(update_fields=["status", "confirmed_at", "updated_at"])
    live.calendar_changed(employee_id=appointment.employee_id, day=appointment.starts_at)
    return appointment


@transaction.atomic
def appointment_open_visit(*, appointment: Appointment) -> Appointment:
    appointment = _locked(appointment)
    if appointment.status not in (AppointmentStatus.CONFIRMED, AppointmentStatus.IN_VISIT):
        raise DomainError(_("Wizytę można otworzyć po potwierdzeniu przybycia pacjenta."), code="not_confirmed")
    if appointment.status == AppointmentStatus.CONFIRMED:
        appointment.status = AppointmentStatus.IN_VISIT
        appointment.save(update_fields=["status", "updated_at"])
    return appointment


@transaction.atomic
def appointment_finish_visit(*, appointment: Appointment) -> Appointment:
    appointment = _locked(appointment)
    if appointment.status != AppointmentStatus.IN_VISIT:
        raise DomainError(_("Zakończyć można tylko otwartą wizytę."), code="not_in_visit")
    appointment.status = AppointmentStatus.DONE
    appointment.save(update_fields=["status", "updated_at"])
    live.calendar_changed(employee_id=appointment.employee_id, day=appointment.starts_at)
    return appointment


@transaction.atomic
def appointment_notes_update(*, appointment: Appointment, notes: str) -> Appointment:
    """ "Notatki związane z wizytą" (CAL-6), written in the visit view; the calendar's side panel shows them."""
    appointment = _locked(appointment)
    appointment.notes = notes.strip()
    appointment.save(update_fields=["notes", "updated_at"])
    live.calendar_changed(employee_id=appointment.employee_id, day=appointment.starts_at)
    return appointment


@transaction.atomic
def slot_remove(*, employee_id: int, starts_at: datetime, actor, reason: str = "") -> RemovedSlot:
    """Take a free slot out of the schedule (CAL-5)."""
    covering = schedule_block_covering(employee_id=employee_id, starts_at=starts_at, ends_at=None)
    if covering is None:
        raise DomainError(_("W tym czasie lekarz nie ma harmonogramu."), code="outside_schedule")
    schedule, _block, end = covering
    if overlapping_appointments(employee_id=employee_id, starts_at=starts_at, ends_at=end).exists():
        raise SlotTakenError(_("Ten termin jest zajęty przez umówienie – najpierw je odwołaj lub przesuń."))
    removed, created = RemovedSlot.objects.get_or_create(
        employee_id=employee_id,
        starts_at=starts_at,
        defaults={"schedule": schedule, "ends_at": end, "reason": reason.strip(), "removed_by": actor},
    )
    if created:
        publication_enqueue(kind=OutboxKind.SLOTS, object_id=employee_id)
        live.calendar_changed(employee_id=employee_id, day=starts_at)
    return removed


@transaction.atomic
def slot_restore(*, removed: RemovedSlot) -> None:
    employee_id, starts_at = removed.employee_id, removed.starts_at
    removed.delete()
    publication_enqueue(kind=OutboxKind.SLOTS, object_id=employee_id)
    live.calendar_changed(employee_id=employee_id, day=starts_at)


@transaction.atomic
def booking_settings_update(
    *,
    nfz_first_time_online: bool | None = None,
    osoz_cards_enabled: bool | None = None,
    actor=None,
    request=None,
):
    """Change the clinic-wide booking settings (SET-1, SET-2); each setting that changed is audited."""
    settings, _created = BookingSettings.objects.select_for_update().get_or_create(id=BookingSettings.SINGLETON_ID)
    changes = {"nfz_first_time_online": nfz_first_time_online, "osoz_cards_enabled": osoz_cards_enabled}
    changed = [name for name, value in changes.items() if value is not None and getattr(settings, name) != value]
    for name in changed:
        setattr(settings, name, changes[name])
    settings.save()
    for name in changed:
        label = settings._meta.get_field(name).verbose_name
        message = _("Włączono ustawienie „%(setting)s”.") if changes[name] else _("Wyłączono ustawienie „%(setting)s”.")
        audit_record(
            category=AuditCategory.CONFIGURATION,
            action="booking_settings_changed",
            message=message % {"setting": label},
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
def schedule_save(*, schedule: Schedule, blocks: list[BlockSpec], actor) -> Schedule:
    """Create or change a schedule with its whole weekly layout (SCH-1, SCH-2)."""
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
    publication_enqueue(kind=OutboxKind.SCHEDULE, object_id=schedule.pk)
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action="schedule_created" if created else "schedule_changed",
        message=(_("Dodano harmonogram: %(schedule)s.") if created else _("Zmieniono harmonogram: %(schedule)s."))
        % {"schedule": schedule},
        actor=actor,
        target=schedule,
    )
    live.calendar_changed(employee_id=schedule.employee_id, day=timezone.now())
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
