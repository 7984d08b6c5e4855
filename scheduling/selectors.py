"""Reads of schedules and appointments. `free_slots` is the one door to availability for every caller."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clinic.models import Cell, Employee, EmployeeCell
from core.db import EpochSeconds
from core.performance import gc_paused
from core.time import WARSAW
from patients.models import Patient
from scheduling.models import (
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    BookingSettings,
    RemovedSlot,
    Schedule,
    ScheduleBlock,
    SlotHold,
    WaitingListEntry,
)
from scheduling.slots import Slot, WeeklyBlock, block_slots, slots_compute, to_epoch


def booking_settings() -> BookingSettings:
    settings, _ = BookingSettings.objects.get_or_create(id=BookingSettings.SINGLETON_ID)
    return settings


def window_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The instants that open and close a window of whole Warsaw days."""
    return (
        datetime.combine(date_from, time.min, tzinfo=WARSAW),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=WARSAW),
    )


def weekly_blocks(
    *, employee_ids: Iterable[int], date_from: date, date_to: date, schedules: QuerySet[Schedule] | None = None
) -> list[WeeklyBlock]:
    schedules = Schedule.objects.all() if schedules is None else schedules
    rows = (
        ScheduleBlock.objects.filter(
            schedule__in=schedules.filter(employee_id__in=employee_ids, valid_from__lte=date_to).filter(
                Q(valid_to__isnull=True) | Q(valid_to__gte=date_from)
            )
        )
        .values_list(
            "schedule_id",
            "schedule__employee_id",
            "schedule__valid_from",
            "schedule__valid_to",
            "weekday",
            "start_time",
            "end_time",
            "visit_minutes",
        )
        .order_by()
    )
    return [WeeklyBlock(*row) for row in rows]


def slot_holds_live(
    *, employee_ids: Iterable[int], start: datetime, end: datetime, now: datetime | None = None
) -> QuerySet[SlotHold]:
    """The holds (SlotHold) of the doctors in the window that are still live: one that expired counts nowhere, swept
    or not."""
    return SlotHold.objects.filter(
        employee_id__in=employee_ids, starts_at__lt=end, ends_at__gt=start, expires_at__gt=now or timezone.now()
    ).order_by()


def slot_hold_of(*, holder: str, now: datetime | None = None) -> SlotHold | None:
    """The holder's live hold, if he has one."""
    return SlotHold.objects.filter(holder=holder, expires_at__gt=now or timezone.now()).first()


def busy_intervals(
    *, employee_ids: Iterable[int], start: datetime, end: datetime, holder: str = ""
) -> list[tuple[int, int, int]]:
    """(employee_id, start, end) in epoch seconds of everything that takes a doctor's time in the window: occupying
    appointments, removed slots, and live holds except the `holder`'s own."""
    employee_ids = list(employee_ids)
    appointments = (
        Appointment.objects.filter(
            employee_id__in=employee_ids, status__in=OCCUPYING_STATUSES, starts_at__lt=end, ends_at__gt=start
        )
        .values_list("employee_id", EpochSeconds("starts_at"), EpochSeconds("ends_at"))
        .order_by()
    )
    removed = (
        RemovedSlot.objects.filter(employee_id__in=employee_ids, starts_at__lt=end, ends_at__gt=start)
        .values_list("employee_id", EpochSeconds("starts_at"), EpochSeconds("ends_at"))
        .order_by()
    )
    held = (
        slot_holds_live(employee_ids=employee_ids, start=start, end=end)
        .exclude(holder=holder)
        .values_list("employee_id", EpochSeconds("starts_at"), EpochSeconds("ends_at"))
    )
    return [*appointments, *removed, *held]


def free_slots(
    *,
    employee_ids: Iterable[int],
    date_from: date,
    date_to: date,
    not_before: datetime | None = None,
    schedules: QuerySet[Schedule] | None = None,
    holder: str = "",
) -> dict[int, list[Slot]]:
    """Free slots per employee over whole Warsaw days, from `schedules` (all by default); a slot the `holder` holds
    is free to him alone. Four queries."""
    employee_ids = list(employee_ids)
    start, end = window_bounds(date_from, date_to)
    with gc_paused():
        return slots_compute(
            blocks=weekly_blocks(employee_ids=employee_ids, date_from=date_from, date_to=date_to, schedules=schedules),
            busy=busy_intervals(employee_ids=employee_ids, start=start, end=end, holder=holder),
            date_from=date_from,
            date_to=date_to,
            not_before=to_epoch(not_before) if not_before else None,
        )


def schedule_blocks_on(days: Collection[tuple[int, date]]) -> dict[tuple[int, date], list[ScheduleBlock]]:
    """The weekly blocks in force on each (doctor, Warsaw day) asked for, with their schedules: one query however
    many days are asked for."""
    found: dict[tuple[int, date], list[ScheduleBlock]] = {pair: [] for pair in days}
    if not found:
        return found
    dates_by_weekday: dict[int, list[date]] = {}
    for day in {day for _employee, day in found}:
        dates_by_weekday.setdefault(day.weekday(), []).append(day)
    blocks = (
        ScheduleBlock.objects.filter(
            schedule__employee_id__in={employee_id for employee_id, _day in found},
            schedule__valid_from__lte=max(day for _employee, day in found),
            weekday__in=dates_by_weekday,
        )
        .filter(Q(schedule__valid_to__isnull=True) | Q(schedule__valid_to__gte=min(day for _employee, day in found)))
        .select_related("schedule__employee", "schedule__cell")
    )
    for block in blocks:
        schedule = block.schedule
        for day in dates_by_weekday[block.weekday]:
            in_force = schedule.valid_from <= day and (schedule.valid_to is None or day <= schedule.valid_to)
            if in_force and (schedule.employee_id, day) in found:
                found[(schedule.employee_id, day)].append(block)
    return found


def block_covering(blocks: Iterable[ScheduleBlock], *, starts_at: datetime, ends_at: datetime | None):
    """The (schedule, block, end) of the block among a day's `blocks` that holds [starts_at, ends_at), or None; with
    no `ends_at` the visit takes the block's visit length."""
    day = starts_at.astimezone(WARSAW).date()
    for block in blocks:
        block_start = datetime.combine(day, block.start_time, tzinfo=WARSAW)
        block_end = datetime.combine(day, block.end_time, tzinfo=WARSAW)
        end = ends_at or starts_at + timedelta(minutes=block.visit_minutes)
        if block_start <= starts_at and end <= block_end:
            return block.schedule, block, end
    return None


def schedule_block_covering(*, employee_id: int, starts_at: datetime, ends_at: datetime | None):
    """The (schedule, block, end) whose block holds [starts_at, ends_at) on that Warsaw day, or None."""
    key = (employee_id, starts_at.astimezone(WARSAW).date())
    return block_covering(schedule_blocks_on([key])[key], starts_at=starts_at, ends_at=ends_at)


@dataclass
class Occupancy:
    """The occupying appointments, removed slots and live holds of some doctors in a window, read once to test many
    times against in memory. Intervals are kept per doctor and Warsaw day they touch; `occupy` adds a time booked
    since. A hold's interval carries its holder in place of an id."""

    appointments: dict[tuple[int, date], list[tuple[datetime, datetime, int | None]]]
    removed: dict[tuple[int, date], list[tuple[datetime, datetime, int | None]]]
    held: dict[tuple[int, date], list[tuple[datetime, datetime, str]]]

    @staticmethod
    def _days(starts_at: datetime, ends_at: datetime) -> list[date]:
        first, last = starts_at.astimezone(WARSAW).date(), (ends_at - timedelta(microseconds=1)).astimezone(WARSAW)
        return [first + timedelta(days=n) for n in range((last.date() - first).days + 1)]

    @classmethod
    def _index(cls, rows: Iterable[tuple[int, datetime, datetime, int | None]]) -> dict:
        index: dict[tuple[int, date], list[tuple[datetime, datetime, int | None]]] = {}
        for employee_id, starts_at, ends_at, pk in rows:
            for day in cls._days(starts_at, ends_at):
                index.setdefault((employee_id, day), []).append((starts_at, ends_at, pk))
        return index

    @classmethod
    def _overlaps(cls, index: dict, employee_id: int, starts_at: datetime, ends_at: datetime, exclude_id=None) -> bool:
        return any(
            start < ends_at and starts_at < end and (pk is None or pk != exclude_id)
            for day in cls._days(starts_at, ends_at)
            for start, end, pk in index.get((employee_id, day), ())
        )

    def appointment_overlaps(
        self, *, employee_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None
    ) -> bool:
        return self._overlaps(self.appointments, employee_id, starts_at, ends_at, exclude_id)

    def removed_overlaps(self, *, employee_id: int, starts_at: datetime, ends_at: datetime) -> bool:
        return self._overlaps(self.removed, employee_id, starts_at, ends_at)

    def held_overlaps(self, *, employee_id: int, starts_at: datetime, ends_at: datetime, holder: str = "") -> bool:
        """Whether somebody other than `holder` holds part of the time."""
        return self._overlaps(self.held, employee_id, starts_at, ends_at, exclude_id=holder or None)

    def occupy(self, *, employee_id: int, starts_at: datetime, ends_at: datetime) -> None:
        for day in self._days(starts_at, ends_at):
            self.appointments.setdefault((employee_id, day), []).append((starts_at, ends_at, None))

    def first_free(
        self,
        blocks: Iterable[ScheduleBlock],
        *,
        schedule_id: int,
        employee_id: int,
        day: date,
        not_before: datetime,
        holder: str = "",
    ) -> datetime | None:
        """SCH-3: the start of the schedule's first slot on `day` among the day's `blocks` that is neither occupied
        (counting what was occupied since this was read), removed nor held by another, and not before
        `not_before`."""
        for block in sorted((b for b in blocks if b.schedule_id == schedule_id), key=lambda b: b.start_time):
            for start, end in block_slots(day, start=block.start_time, end=block.end_time, minutes=block.visit_minutes):
                times = {
                    "employee_id": employee_id,
                    "starts_at": datetime.fromtimestamp(start, WARSAW),
                    "ends_at": datetime.fromtimestamp(end, WARSAW),
                }
                if times["starts_at"] >= not_before and not (
                    self.appointment_overlaps(**times)
                    or self.removed_overlaps(**times)
                    or self.held_overlaps(**times, holder=holder)
                ):
                    return times["starts_at"]
        return None


def occupancy(
    *, employee_ids: Collection[int], start: datetime, end: datetime, now: datetime | None = None
) -> Occupancy:
    """What takes the doctors' time within [start, end): three queries however many doctors and times."""
    appointments = Appointment.objects.filter(
        employee_id__in=employee_ids, status__in=OCCUPYING_STATUSES, starts_at__lt=end, ends_at__gt=start
    ).values_list("employee_id", "starts_at", "ends_at", "pk")
    removed = RemovedSlot.objects.filter(employee_id__in=employee_ids, starts_at__lt=end, ends_at__gt=start)
    removed_rows = ((*row, None) for row in removed.values_list("employee_id", "starts_at", "ends_at"))
    held = slot_holds_live(employee_ids=employee_ids, start=start, end=end, now=now)
    return Occupancy(
        appointments=Occupancy._index(appointments.order_by()),
        removed=Occupancy._index(removed_rows),
        held=Occupancy._index(held.values_list("employee_id", "starts_at", "ends_at", "holder")),
    )


def online_schedules(*, employee_id: int | None = None) -> QuerySet[Schedule]:
    """SCH-2: the schedules offered online (through OSOZ, to patients and payers): those with "Rejestracja on-line
    (OSOZ)" of an OSOZ-enabled employee, in a cell passed to OSOZ; of one employee, or of all of them."""
    published_cell = EmployeeCell.objects.filter(
        employee_id=OuterRef("employee_id"), cell_id=OuterRef("cell_id"), osoz_published=True
    )
    schedules = Schedule.objects.filter(
        osoz_online=True, employee__osoz_enabled=True, employee__is_medical=True
    ).filter(Exists(published_cell))
    return schedules if employee_id is None else schedules.filter(employee_id=employee_id)


def calendar_employees_for_user(user) -> QuerySet[Employee]:
    """The doctors whose calendars and schedules this user may see: all for reception and administrators, his own
    for a doctor. The one rule of the calendar, Harmonogramy and the API."""
    employees = Employee.objects.filter(is_medical=True)
    if user.has_perm("scheduling.view_all_calendars"):
        return employees
    return employees.filter(user=user)


def employee_for_user(*, user, employee_id: int) -> Employee:
    """One doctor whose calendar this user may see, or Http404 (the same answer as for one that does not exist)."""
    return get_object_or_404(calendar_employees_for_user(user), pk=employee_id)


def appointments_for_user(user) -> QuerySet[Appointment]:
    return Appointment.objects.filter(employee__in=calendar_employees_for_user(user))


def appointment_for_user(*, user, appointment_id: int) -> Appointment:
    """One appointment this user may see, or Http404 (the same answer as for one that does not exist)."""
    return get_object_or_404(
        appointments_for_user(user).select_related("patient", "employee", "cell"), pk=appointment_id
    )


def visit_appointment_for_user(*, user, appointment_id: int) -> Appointment:
    """The appointment of a visit this user may conduct or handle: his own as a doctor, any as reception; else Http404
    (not his to see) or PermissionDenied. The rule of the visit and of every section other apps add to it."""
    appointment = appointment_for_user(user=user, appointment_id=appointment_id)
    own = appointment.employee.user_id == user.pk and user.has_perm("scheduling.conduct_visit")
    if not (own or user.has_perm("scheduling.change_appointment")):
        raise PermissionDenied
    return appointment


# --- The calendar read model (CAL-1, CAL-6) ----------------------------------------------------------------------

GRID_STEP_MINUTES = 5
GRID_MAX_SPAN = 96  # eight hours of 5-minute rows; longer blocks are drawn that tall (poradnia.css has the classes)
DEFAULT_HOURS = (8, 16)


class BlockKind:
    FREE = "free"
    APPOINTMENT = "appointment"
    REMOVED = "removed"
    HELD = "held"  # a live SlotHold: a patient is confirming it in the portal


@dataclass(frozen=True, slots=True)
class CalendarBlock:
    """A free slot, an appointment, a removed slot or a hold, placed on the grid by its 5-minute row and span. Plain
    values rather than model instances: a busy day draws thousands of blocks."""

    kind: str
    start: int  # epoch seconds
    end: int
    time_label: str
    row: int
    span: int
    employee_id: int
    televisit: bool = False
    object_id: int | None = None  # the appointment's or the removed slot's
    status: str = ""
    source: str = ""
    patient_name: str = ""
    held_until: str = ""  # a hold's expiry, HH:MM Warsaw


@dataclass(frozen=True, slots=True)
class CalendarColumn:
    employee: Employee
    day: date
    blocks: list[CalendarBlock]


@dataclass(frozen=True, slots=True)
class CalendarGrid:
    days: list[date]
    employees: list[Employee]
    columns: list[CalendarColumn]
    first_hour: int
    last_hour: int

    @property
    def row_count(self) -> int:
        return (self.last_hour - self.first_hour) * 60 // GRID_STEP_MINUTES

    @property
    def hour_rows(self) -> list[tuple[str, int]]:
        """(label, grid row) of each full hour, for the time gutter."""
        step = 60 // GRID_STEP_MINUTES
        hours = range(self.first_hour, self.last_hour)
        return [(f"{hour:02d}:00", (hour - self.first_hour) * step + 1) for hour in hours]


def calendar_employees(
    *, user, cell_ids: Collection[int] | None = None, employee_id: int | None = None
) -> QuerySet[Employee]:
    """The doctors this user may see, narrowed to those working in the given cells and to one doctor."""
    employees = calendar_employees_for_user(user)
    if cell_ids is not None:
        employees = employees.filter(pk__in=EmployeeCell.objects.filter(cell_id__in=cell_ids).values("employee_id"))
    if employee_id is not None:
        employees = employees.filter(pk=employee_id)
    return employees


@gc_paused()
def calendar_grid(
    *,
    user,
    date_from: date,
    date_to: date,
    now: datetime,
    cell_ids: Collection[int] | None = None,
    employee_id: int | None = None,
) -> CalendarGrid:
    """The calendar of the doctors this user may see over whole Warsaw days, in six queries whatever the number of
    doctors and appointments. With cell_ids only those cells' schedules and appointments are drawn, but every
    appointment of the doctor still makes him busy: he cannot be in two cells at once."""
    employees = list(calendar_employees(user=user, cell_ids=cell_ids, employee_id=employee_id))
    employee_ids = [employee.pk for employee in employees]
    start, end = window_bounds(date_from, date_to)
    schedules = Schedule.objects.filter(cell_id__in=cell_ids) if cell_ids is not None else None
    blocks = weekly_blocks(employee_ids=employee_ids, date_from=date_from, date_to=date_to, schedules=schedules)
    appointments = list(
        Appointment.objects.filter(
            employee_id__in=employee_ids, status__in=OCCUPYING_STATUSES, starts_at__lt=end, ends_at__gt=start
        )
        .values_list(
            "employee_id",
            "starts_at",
            "ends_at",
            "pk",
            "cell_id",
            "status",
            "source",
            "kind",
            "patient__last_name",
            "patient__first_name",
        )
        .order_by()
    )
    removed = list(
        RemovedSlot.objects.filter(employee_id__in=employee_ids, starts_at__lt=end, ends_at__gt=start)
        .values_list("employee_id", "starts_at", "ends_at", "pk", "schedule_id")
        .order_by()
    )
    held = list(
        slot_holds_live(employee_ids=employee_ids, start=start, end=end, now=now).values_list(
            "employee_id", "starts_at", "ends_at", "expires_at", "schedule_id"
        )
    )
    # The same busy intervals busy_intervals() reads, taken from the rows already fetched for drawing.
    busy = [(row[0], to_epoch(row[1]), to_epoch(row[2])) for row in (*appointments, *removed, *held)]
    free = slots_compute(blocks=blocks, busy=busy, date_from=date_from, date_to=date_to, not_before=to_epoch(now))
    televisit_schedules = set(
        Schedule.objects.filter(
            Q(televisit_possible=True) | Q(televisit_only=True), pk__in={block.schedule_id for block in blocks}
        ).values_list("pk", flat=True)
    )
    if cell_ids is not None:
        shown_schedules = {block.schedule_id for block in blocks}
        appointments = [row for row in appointments if row[4] in cell_ids]
        removed = [row for row in removed if row[4] in shown_schedules]
        held = [row for row in held if row[4] in shown_schedules]

    drawn = [
        (slot.employee_id, slot.start, slot.end, {"televisit": slot.schedule_id in televisit_schedules})
        for slots in free.values()
        for slot in slots
    ]
    drawn += [
        (
            employee_id_,
            to_epoch(starts_at),
            to_epoch(ends_at),
            {
                "kind": BlockKind.APPOINTMENT,
                "object_id": pk,
                "status": status,
                "source": source,
                "televisit": kind == AppointmentKind.TELEVISIT,
                "patient_name": f"{last_name} {first_name}",
            },
        )
        for employee_id_, starts_at, ends_at, pk, _cell_id, status, source, kind, last_name, first_name in appointments
    ]
    drawn += [
        (employee_id_, to_epoch(starts_at), to_epoch(ends_at), {"kind": BlockKind.REMOVED, "object_id": pk})
        for employee_id_, starts_at, ends_at, pk, _schedule_id in removed
    ]
    drawn += [
        (
            employee_id_,
            to_epoch(starts_at),
            to_epoch(ends_at),
            {"kind": BlockKind.HELD, "held_until": f"{expires_at.astimezone(WARSAW):%H:%M}"},
        )
        for employee_id_, starts_at, ends_at, expires_at, _schedule_id in held
    ]

    first_hour, last_hour = _grid_hours(blocks, drawn)
    columns: dict[tuple[int, date], list[CalendarBlock]] = {}
    for employee_id_, block_start, block_end, details in sorted(drawn, key=lambda item: item[1]):
        local_start = datetime.fromtimestamp(block_start, WARSAW)
        minutes = (local_start.hour - first_hour) * 60 + local_start.minute
        columns.setdefault((employee_id_, local_start.date()), []).append(
            CalendarBlock(
                kind=details.pop("kind", BlockKind.FREE),
                start=block_start,
                end=block_end,
                time_label=f"{local_start:%H:%M}–{datetime.fromtimestamp(block_end, WARSAW):%H:%M}",
                row=minutes // GRID_STEP_MINUTES + 1,
                span=min(GRID_MAX_SPAN, max(1, -(-(block_end - block_start) // (GRID_STEP_MINUTES * 60)))),
                employee_id=employee_id_,
                **details,
            )
        )
    days = [date_from + timedelta(days=offset) for offset in range((date_to - date_from).days + 1)]
    # A doctor without any block in the window has no column, unless he was chosen on purpose.
    if employee_id is None:
        with_blocks = {block.employee_id for block in blocks} | {key[0] for key in columns}
        employees = [employee for employee in employees if employee.pk in with_blocks]
    return CalendarGrid(
        days=days,
        employees=employees,
        columns=[
            CalendarColumn(employee=employee, day=day, blocks=columns.get((employee.pk, day), []))
            for day in days
            for employee in employees
        ],
        first_hour=first_hour,
        last_hour=last_hour,
    )


def _grid_hours(blocks: list[WeeklyBlock], drawn: list[tuple]) -> tuple[int, int]:
    """The whole hours the grid spans: every schedule block, appointment and removed slot fits; 8 to 16 at least."""
    first, last = DEFAULT_HOURS
    for block in blocks:
        first = min(first, block.start.hour)
        last = max(last, block.end.hour + (1 if block.end.minute else 0))
    for _employee_id, start, end, details in drawn:
        if "kind" not in details:
            continue  # a free slot lies inside a schedule block, already counted
        local_start, local_end = datetime.fromtimestamp(start, WARSAW), datetime.fromtimestamp(end, WARSAW)
        first = min(first, local_start.hour)
        end_hour = local_end.hour + (1 if local_end.minute else 0)
        last = max(last, 24 if local_end.date() > local_start.date() else end_hour)
    return first, last


def calendar_removed_slot_for_user(*, user, removed_id: int) -> RemovedSlot:
    return get_object_or_404(RemovedSlot.objects.filter(employee__in=calendar_employees_for_user(user)), pk=removed_id)


def schedules_of_employee(*, employee: Employee) -> QuerySet[Schedule]:
    """The employee's schedules for Struktura > Pracownicy > Harmonogramy, newest validity first."""
    return (
        Schedule.objects.filter(employee=employee)
        .select_related("cell__location")
        .prefetch_related(Prefetch("blocks", queryset=ScheduleBlock.objects.order_by("weekday", "start_time")))
        .order_by("-valid_from", "-id")
    )


def appointments_filter(
    *,
    user,
    cancelled: bool,
    date_from: date | None = None,
    date_to: date | None = None,
    employee: Employee | None = None,
    cell: Cell | None = None,
    actor: str = "",
) -> QuerySet[Appointment]:
    """Kalendarz > Umówienia (CAL-7): the tab Umówienia (cancelled=False) or Umówienia odwołane (cancelled=True),
    among the appointments this user may see. `actor` matches who booked, or who cancelled on the second tab;
    "OSOZ" finds what patients booked or cancelled online."""
    appointments = appointments_for_user(user).select_related("patient", "employee", "cell")
    if cancelled:
        appointments = appointments.filter(status=AppointmentStatus.CANCELLED).order_by("-cancelled_at", "-id")
    else:
        appointments = appointments.exclude(status=AppointmentStatus.CANCELLED).order_by("-starts_at", "-id")
    if date_from:
        appointments = appointments.filter(starts_at__gte=window_bounds(date_from, date_from)[0])
    if date_to:
        appointments = appointments.filter(starts_at__lt=window_bounds(date_to, date_to)[1])
    if employee:
        appointments = appointments.filter(employee=employee)
    if cell:
        appointments = appointments.filter(cell=cell)
    if actor:
        field = "cancelled_by_label" if cancelled else "booked_by_label"
        appointments = appointments.filter(**{f"{field}__icontains": actor})
    return appointments


def appointment_actor_labels(*, user, cancelled: bool) -> list[str]:
    """The choices offered by the filter Pracownik umawiający / Pracownik odwołujący: everyone who booked (or
    cancelled) an appointment this user may see, "OSOZ" among them once anything came online."""
    field = "cancelled_by_label" if cancelled else "booked_by_label"
    return list(
        appointments_for_user(user).exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct()
    )


def patients_returning(pairs: Collection[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (patient id, cell id) pairs among those asked for where the patient is not a pacjent pierwszorazowy: he
    has an earlier appointment in that cell that was not cancelled (SET-1). One query however many pairs."""
    if not pairs:
        return set()
    found = (
        Appointment.objects.filter(
            patient_id__in={patient_id for patient_id, _cell in pairs},
            cell_id__in={cell_id for _patient, cell_id in pairs},
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .values_list("patient_id", "cell_id")
        .order_by()
        .distinct()
    )
    return set(found) & set(pairs)


# The queue looks this far ahead for the first free date; a cell without any free slot in a year gets none.
FIRST_FREE_WINDOW = timedelta(weeks=4)
FIRST_FREE_HORIZON_WINDOWS = 13


def waiting_list_first_free(*, cell, now: datetime):
    """The earliest free slot of the cell's NFZ schedules from `now` on, or None; searched four weeks at a time.
    The waiting queue is the NFZ list, so private schedules never count as its first free date."""
    schedules = Schedule.objects.filter(cell=cell, is_nfz=True)
    employee_ids = list(schedules.values_list("employee_id", flat=True).distinct())
    if not employee_ids:
        return None
    date_from = now.astimezone(WARSAW).date()
    for _window in range(FIRST_FREE_HORIZON_WINDOWS):
        date_to = date_from + FIRST_FREE_WINDOW - timedelta(days=1)
        per_employee = free_slots(
            employee_ids=employee_ids, date_from=date_from, date_to=date_to, not_before=now, schedules=schedules
        )
        found = [slots[0] for slots in per_employee.values() if slots]
        if found:
            return min(found)
        date_from = date_to + timedelta(days=1)
    return None


def waiting_list_filter(
    *, cell: Cell | None = None, category: str = "", patients: QuerySet[Patient] | None = None
) -> QuerySet[WaitingListEntry]:
    """Kolejka oczekujących, newest entries first: what reception looks for is what has just come in (today's online
    bookings of first-time patients); the filters narrow it to a cell, a category or the patients searched for."""
    entries = WaitingListEntry.objects.select_related("cell__location", "patient", "appointment__employee")
    if cell:
        entries = entries.filter(cell=cell)
    if category:
        entries = entries.filter(category=category)
    if patients is not None:
        entries = entries.filter(patient__in=patients.values("pk"))
    return entries.order_by("-entered_at", "-id")
