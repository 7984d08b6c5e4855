"""Demo schedules and bookings: every demo doctor works to a weekly layout from two weeks ago to eight weeks ahead,
about a third of the slots are booked (past ones done or cancelled, future ones booked; some online through OSOZ),
a few free slots are removed, and the waiting queue holds stable and urgent cases. Seeded random, so every run makes
the same clinic; idempotent: doctors who already have schedules are left as they are."""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from clinic.models import Cell, Employee
from core.actors import Actor
from patients.models import Patient
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    RemovedSlot,
    Schedule,
    WaitingCategory,
    WaitingListEntry,
)
from scheduling.selectors import free_slots, waiting_list_first_free
from scheduling.services import BlockSpec, schedule_osoz_unavailable_reason, schedule_save

PAST_DAYS = 14
FUTURE_WEEKS = 8
BOOKED_SHARE = 0.35
ONLINE_SHARE = 0.25
REMOVED_SLOTS = 8
QUEUE_ENTRIES = 14

MON, TUE, WED, THU, FRI = range(5)

# Weekly layouts, taken in turn by the doctors: (weekdays, from, to, visit minutes, NFZ) per schedule. Each doctor
# gets one NFZ morning pattern and one private afternoon pattern that never overlap it.
LAYOUTS = (
    (((MON, TUE, WED, THU, FRI), time(8), time(12), 15, True), ((TUE, THU), time(15), time(18), 30, False)),
    (((MON, WED, FRI), time(8), time(13), 20, True), ((MON, WED), time(14), time(17), 30, False)),
    (((TUE, THU), time(7, 30), time(12, 30), 15, True), ((FRI,), time(13), time(17), 20, False)),
    (((MON, TUE, THU), time(9), time(13), 20, True), ((WED,), time(15), time(19), 30, False)),
    (((WED, THU, FRI), time(8), time(11), 15, True), ((MON,), time(16), time(19), 20, False)),
)
# The private schedule of the first OSOZ-enabled doctors in this order gets these OSOZ attributes; the second one
# is the televisit schedule.
ONLINE_ATTRIBUTES = (
    {"first_free_only": True},
    {"televisit_possible": True},
    {"televisit_only": True},
    {"children_sick": True, "children_healthy": True},
)
REQUIREMENT = "Prosimy o dostarczenie skierowania do placówki w ciągu 14 dni od wizyty."
CANCEL_REASONS = (
    "Pacjent zrezygnował z wizyty",
    "Choroba pacjenta",
    "Zmiana terminu na prośbę pacjenta",
    "Nieobecność lekarza – urlop",
    "Pacjent umówił się do innego lekarza",
)
ONLINE_CANCEL_REASONS = ("Odwołane przez pacjenta w serwisie LekarzeBezKolejki.pl", "Nie mogę przyjść w tym terminie")
PATIENT_NOTES = (
    "Chcę przesłać lekarzowi dodatkową informację: przyjmuję leki na nadciśnienie.",
    "Proszę o przygotowanie wyników badań z poprzedniej wizyty.",
    "Kontrola po leczeniu, mam ze sobą wypis ze szpitala.",
)
REMOVED_REASONS = ("Szkolenie lekarza", "Przerwa techniczna w gabinecie", "Zebranie zespołu")


def seed(*, out) -> None:
    rng = random.Random(20260112)  # noqa: S311 - the same demo clinic on every run, nothing secret
    today = timezone.localdate()
    valid_from, valid_to = today - timedelta(days=PAST_DAYS), today + timedelta(weeks=FUTURE_WEEKS)
    doctors = list(Employee.objects.filter(is_medical=True).prefetch_related("employee_cells__cell"))
    fresh = [doctor for doctor in doctors if not doctor.schedules.exists()]
    schedules = _schedules(fresh, valid_from=valid_from, valid_to=valid_to)
    reception = User.objects.filter(username="rejestracja").first()
    admin = User.objects.filter(username="admin").first()
    if schedules:
        _appointments(rng, schedules, valid_from=valid_from, valid_to=valid_to, staff=[reception, admin])
        if admin is not None:
            _removed_slots(rng, schedules, today=today, valid_to=valid_to, actor=admin)
    if not WaitingListEntry.objects.exists():
        _queue(rng, staff_label=reception.audit_label if reception else "Rejestracja")
    out.write(
        f"Scheduling: {Schedule.objects.count()} schedules, "
        f"{Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).count()} appointments "
        f"({Appointment.objects.filter(source=AppointmentSource.OSOZ).count()} booked online), "
        f"{Appointment.objects.filter(status=AppointmentStatus.CANCELLED).count()} cancelled, "
        f"{WaitingListEntry.objects.count()} patients in the waiting queue."
    )


def _schedules(doctors: list[Employee], *, valid_from: date, valid_to: date) -> list[Schedule]:
    """Through schedule_save, so the demo layouts pass the same rules as the ones an administrator enters."""
    created, online_count = [], 0
    for index, doctor in enumerate(doctors):
        cells = [link.cell for link in doctor.employee_cells.all()]
        if not cells:
            continue
        nfz_layout, private_layout = LAYOUTS[index % len(LAYOUTS)]
        for layout, cell in ((nfz_layout, cells[0]), (private_layout, cells[-1])):
            weekdays, start, end, minutes, is_nfz = layout
            schedule = Schedule(employee=doctor, cell=cell, valid_from=valid_from, valid_to=valid_to, is_nfz=is_nfz)
            osoz_available = schedule_osoz_unavailable_reason(employee=doctor, cell=cell) is None
            if osoz_available and is_nfz:
                schedule.osoz_online = True
                schedule.osoz_requirement = REQUIREMENT
            elif osoz_available:
                schedule.osoz_online = True
                for name, value in ONLINE_ATTRIBUTES[online_count % len(ONLINE_ATTRIBUTES)].items():
                    setattr(schedule, name, value)
                online_count += 1
            blocks = [BlockSpec(weekday, start, end, minutes) for weekday in weekdays]
            created.append(schedule_save(schedule=schedule, blocks=blocks, actor=None))
    return created


def _appointments(rng: random.Random, schedules: list[Schedule], *, valid_from, valid_to, staff) -> None:
    """About a third of each doctor's slots, straight from the slot engine, so no two appointments of one doctor
    overlap. The booking time precedes the visit, so it is set after the insert (booked_at is auto_now_add)."""
    now = timezone.now()
    by_id = {schedule.pk: schedule for schedule in schedules}
    employee_ids = {schedule.employee_id for schedule in schedules}
    slots = free_slots(
        employee_ids=employee_ids,
        date_from=valid_from,
        date_to=valid_to,
        schedules=Schedule.objects.filter(pk__in=by_id),
    )
    patient_ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    staff = [user for user in staff if user is not None]
    appointments, booked_at = [], []
    for employee_slots in slots.values():
        for slot in employee_slots:
            if rng.random() >= BOOKED_SHARE:
                continue
            schedule = by_id[slot.schedule_id]
            online = schedule.osoz_online and rng.random() < ONLINE_SHARE
            user = None if online else rng.choice(staff) if staff else None
            kind = AppointmentKind.VISIT
            if schedule.televisit_only or (schedule.televisit_possible and rng.random() < 0.4):
                kind = AppointmentKind.TELEVISIT
            appointment = Appointment(
                employee_id=slot.employee_id,
                cell_id=schedule.cell_id,
                schedule=schedule,
                patient_id=rng.choice(patient_ids),
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                source=AppointmentSource.OSOZ if online else AppointmentSource.CALENDAR,
                kind=kind,
                is_nfz=schedule.is_nfz,
                notes=rng.choice(PATIENT_NOTES) if online and rng.random() < 0.3 else "",
                booked_by=user,
                booked_by_label=Actor.OSOZ if online else user.audit_label if user else "Rejestracja",
            )
            _set_status(rng, appointment, online=online, staff=staff, now=now)
            appointments.append(appointment)
            booked_at.append(appointment.starts_at - timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600)))
    Appointment.objects.bulk_create(appointments, batch_size=500)
    for appointment, moment in zip(appointments, booked_at, strict=True):
        appointment.booked_at = min(moment, now)
    Appointment.objects.bulk_update(appointments, ["booked_at"], batch_size=500)


def _set_status(rng: random.Random, appointment: Appointment, *, online: bool, staff, now: datetime) -> None:
    past = appointment.ends_at <= now
    if rng.random() < (0.12 if past else 0.08):
        appointment.status = AppointmentStatus.CANCELLED
        by_patient_online = online and rng.random() < 0.6
        appointment.cancelled_at = min(now, appointment.starts_at - timedelta(hours=rng.randint(2, 72)))
        appointment.cancel_source = AppointmentSource.OSOZ if by_patient_online else AppointmentSource.CALENDAR
        if by_patient_online:
            appointment.cancelled_by_label = Actor.OSOZ
            appointment.cancel_reason = rng.choice(ONLINE_CANCEL_REASONS)
        else:
            user = rng.choice(staff) if staff else None
            appointment.cancelled_by = user
            appointment.cancelled_by_label = user.audit_label if user else "Rejestracja"
            appointment.cancel_reason = rng.choice(CANCEL_REASONS)
    elif past:
        appointment.status = AppointmentStatus.DONE
        appointment.confirmed_at = appointment.starts_at - timedelta(minutes=rng.randint(3, 20))
    elif appointment.starts_at <= now:
        appointment.status = AppointmentStatus.IN_VISIT
        appointment.confirmed_at = appointment.starts_at - timedelta(minutes=5)


def _removed_slots(rng: random.Random, schedules: list[Schedule], *, today: date, valid_to: date, actor) -> None:
    slots = free_slots(
        employee_ids={schedule.employee_id for schedule in schedules},
        date_from=today + timedelta(days=1),
        date_to=valid_to,
        schedules=Schedule.objects.filter(pk__in=[schedule.pk for schedule in schedules]),
    )
    candidates = [slot for employee_slots in slots.values() for slot in employee_slots]
    RemovedSlot.objects.bulk_create(
        RemovedSlot(
            employee_id=slot.employee_id,
            schedule_id=slot.schedule_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            reason=rng.choice(REMOVED_REASONS),
            removed_by=actor,
        )
        for slot in rng.sample(candidates, min(REMOVED_SLOTS, len(candidates)))
    )


def _queue(rng: random.Random, *, staff_label: str) -> None:
    """Stable and urgent cases in the NFZ cells, each with the cell's first free date, some already booked."""
    now = timezone.now()
    cells = list(Cell.objects.filter(schedules__is_nfz=True).distinct().order_by("pk"))
    if not cells:
        return
    patient_ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    booked = list(
        Appointment.objects.filter(status=AppointmentStatus.BOOKED, is_nfz=True, queue_entry__isnull=True)
        .order_by("starts_at")
        .values_list("pk", "cell_id", "patient_id", "source")[:QUEUE_ENTRIES]
    )
    entries, used = [], set()
    for index in range(QUEUE_ENTRIES):
        linked = booked[index] if index % 3 == 0 and index < len(booked) else None
        cell_id = linked[1] if linked else cells[index % len(cells)].pk
        patient_id = linked[2] if linked else rng.choice(patient_ids)
        if (cell_id, patient_id) in used:
            continue
        used.add((cell_id, patient_id))
        cell = next((cell for cell in cells if cell.pk == cell_id), None) or Cell.objects.get(pk=cell_id)
        first_free = waiting_list_first_free(cell=cell, now=now)
        entries.append(
            WaitingListEntry(
                cell_id=cell_id,
                patient_id=patient_id,
                category=WaitingCategory.URGENT if index % 4 == 1 else WaitingCategory.STABLE,
                first_free_date=first_free.starts_at if first_free else None,
                appointment_id=linked[0] if linked else None,
                added_by_label=Actor.OSOZ if linked and linked[3] == AppointmentSource.OSOZ else staff_label,
            )
        )
    WaitingListEntry.objects.bulk_create(entries)
    # The queue fills over the last weeks; entered_at is auto_now_add, so the dates are set after the insert.
    for entry in entries:
        entry.entered_at = now - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600))
    WaitingListEntry.objects.bulk_update(entries, ["entered_at"])
