"""Booking in the patient portal (SPEC POR-1…POR-3): what the portal offers (POR-7's configuration), the timetable
read from the slot engine, the slot held while the patient confirms it, and booking and cancelling through
scheduling's one booking door, with the patient's e-mails. Every booking rule stays in `bookings_check`; this module
adds only what the portal itself decides: which schedules it shows and the NFZ referral question."""

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from clinic.models import Cell, Employee, Location
from core.errors import DomainError
from core.text import clinic_text
from core.time import WARSAW
from portal.models import PatientAccount, PortalCell, PortalDoctor
from portal.selectors import appointments_for_account
from scheduling.models import Appointment, AppointmentKind, AppointmentSource, AppointmentStatus, Schedule, SlotHold
from scheduling.selectors import (
    booking_settings,
    free_slots,
    online_schedules,
    schedule_block_covering,
    slot_hold_of,
)
from scheduling.services import (
    BookingRequest,
    appointment_cancel,
    appointments_book,
    slot_hold_release,
    slot_hold_take,
)

logger = logging.getLogger(__name__)

TIMETABLE_DAYS = 7  # the timetable shows a week, moved on a week at a time
TIMETABLE_LOOKAHEAD_WEEKS = 4  # how far the timetable looks for the first week with a free slot


class Referral(models.TextChoices):
    """The referral question of an NFZ booking (POR-3): the patient picks the answer that fits him."""

    HAVE = "have", gettext_lazy("Mam skierowanie do tej poradni")
    CONTINUE = "continue", gettext_lazy("Kontynuuję leczenie w tej poradni")
    NOT_REQUIRED = "not_required", gettext_lazy("Ta poradnia nie wymaga skierowania")
    NONE = "none", gettext_lazy("Nie mam skierowania")


# What the reception reads in the appointment's notes (kept in the clinic's language, as every stored label).
REFERRAL_NOTES = {
    Referral.HAVE: gettext_lazy("Portal pacjenta: pacjent deklaruje skierowanie."),
    Referral.CONTINUE: gettext_lazy("Portal pacjenta: pacjent deklaruje kontynuację leczenia w tej poradni."),
    Referral.NOT_REQUIRED: gettext_lazy("Portal pacjenta: poradnia nie wymaga skierowania."),
}


def holder_of(account: PatientAccount) -> str:
    """The account's name as the holder of a slot (scheduling.SlotHold)."""
    return f"portal:{account.pk}"


# --- What the portal offers (POR-7) ----------------------------------------------------------------------------


def portal_schedules(*, nfz: bool, kind: str | None = None) -> QuerySet[Schedule]:
    """The schedules whose free slots the portal offers: offered online (SCH-2), NFZ or commercial, in a poradnia the
    administrator opened for that in the portal. A videoconsultation only in a schedule that allows televisits, of a
    poradnia and a doctor that offer them; a visit in the clinic only where the schedule is not televisits only.
    Without `kind`, every schedule of either kind. Decided here over two plain queries and handed on as a list of
    ids: the same rule as nested subqueries made each of the timetable's filters a slow query of its own."""
    offered = "cell__portal__nfz" if nfz else "cell__portal__commercial"
    rows = (
        online_schedules()
        .filter(is_nfz=nfz, **{offered: True})
        .values_list(
            "pk", "cell_id", "employee_id", "televisit_possible", "televisit_only", "cell__portal__videoconsultation"
        )
    )
    video_doctors = set(PortalDoctor.objects.filter(videoconsultation=True).values_list("cell_id", "employee_id"))
    ids = []
    for pk, cell_id, employee_id, televisit_possible, televisit_only, cell_video in rows:
        video = (televisit_possible or televisit_only) and cell_video and (cell_id, employee_id) in video_doctors
        visit = not televisit_only
        if {AppointmentKind.TELEVISIT: video, AppointmentKind.VISIT: visit}.get(kind, video or visit):
            ids.append(pk)
    return Schedule.objects.filter(pk__in=ids)


def portal_cells(*, nfz: bool, schedules: QuerySet[Schedule] | None = None) -> QuerySet[Cell]:
    """The poradnie a patient may book in the portal, commercially or under NFZ, with their placówka; of `schedules`
    when the caller has portal_schedules already."""
    schedules = portal_schedules(nfz=nfz) if schedules is None else schedules
    return (
        Cell.objects.filter(pk__in=schedules.values("cell_id"))
        .select_related("location", "portal")
        .order_by("location__name", "name")
    )


def portal_locations(*, nfz: bool, schedules: QuerySet[Schedule] | None = None) -> QuerySet[Location]:
    schedules = portal_schedules(nfz=nfz) if schedules is None else schedules
    return Location.objects.filter(pk__in=schedules.values("cell__location_id")).order_by("name")


def portal_doctors(*, nfz: bool, schedules: QuerySet[Schedule] | None = None) -> QuerySet[Employee]:
    schedules = portal_schedules(nfz=nfz) if schedules is None else schedules
    return Employee.objects.filter(pk__in=schedules.values("employee_id")).order_by("sort_name")


# --- What patients read most, cached ---------------------------------------------------------------------------
# Many patients leaf through the same weeks at once (bench/portal.py, 14), and the slots change far less often than
# they are read. The filters' choices and the timetable's slots are cached under one version, which every recorded
# change (core.changes: a booking, a hold, a schedule, a doctor, a placówka) and every change of the portal's offer
# moves on once committed: a patient never reads a page older than the last change this cache heard of.
# PORTAL_TIMETABLE_CACHE_SECONDS bounds the rest: the passing time (the slots that start meanwhile) and, on the
# demo's per-process cache, a change made by another process (a Celery worker). A slot shown that is gone by then is
# refused, with the reason, when the patient chooses it: the hold rechecks every rule.
VERSION_KEY = "portal:timetable:version"


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A start no entry of an earlier cache can share (a flushed or restarted cache).
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY, 0)
    return version


def _version_next() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet, or evicted
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)


def timetable_forget(changes=()) -> None:
    """Every cached timetable and filter is out of date once the caller's transaction commits. A change listener
    (settings.CHANGE_LISTENERS), and called when the portal's offer changes (portal.offer)."""
    transaction.on_commit(_version_next)


def _cached(key: str, build):
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, settings.PORTAL_TIMETABLE_CACHE_SECONDS)
    return value


def portal_filters(
    *, nfz: bool, kind: str | None = None, location_id: int | None = None, cell_id: int | None = None
) -> dict[str, list[tuple[int, str]]]:
    """The timetable's filters' choices, (id, label) each, of the schedules the portal offers for the kind of visit:
    "location" (Wybór placówki), "cell" (Wybór poradni, with its placówka) of the chosen placówka, and "doctor"
    (Wybór lekarza) of the chosen placówka and poradnia."""

    def build():
        schedules = portal_schedules(nfz=nfz, kind=kind)  # decided once for the three lists
        locations = list(portal_locations(nfz=nfz, schedules=schedules))
        # A choice not on its list narrows nothing (a poradnia of another placówka, after the placówka changed).
        chosen_location = location_id in {location.pk for location in locations}
        in_location = schedules.filter(cell__location_id=location_id) if chosen_location else schedules
        cells = list(portal_cells(nfz=nfz, schedules=in_location))
        in_cell = in_location.filter(cell_id=cell_id) if cell_id in {cell.pk for cell in cells} else in_location
        return {
            "location": [(location.pk, location.name) for location in locations],
            "cell": [(cell.pk, f"{cell.name} ({cell.location.name})") for cell in cells],
            "doctor": [(employee.pk, str(employee)) for employee in portal_doctors(nfz=nfz, schedules=in_cell)],
        }

    key = f"portal:filters:{_version()}:{get_language()}:{int(nfz)}:{kind}:{location_id}:{cell_id}"
    return _cached(key, build)


def referral_choices(portal_cell: PortalCell) -> list[tuple[str, str]]:
    """The answers offered for this poradnia: "Ta poradnia nie wymaga skierowania" only where none is required."""
    return [
        (value, label)
        for value, label in Referral.choices
        if not (value == Referral.NOT_REQUIRED and portal_cell.referral_required)
    ]


def referral_check(*, cell: Cell, referral: str) -> None:
    """Whether the answer lets the patient book this poradnia under NFZ; the DomainError that says why not."""
    portal_cell = PortalCell.objects.filter(cell=cell, nfz=True).first()
    if portal_cell is None:
        raise DomainError(_("Tej poradni nie można umówić w ramach NFZ w Portalu Pacjenta."), code="not_in_portal")
    if referral not in dict(referral_choices(portal_cell)):
        raise DomainError(_("Wybierz odpowiedź na pytanie o skierowanie."), code="referral_missing")
    if referral == Referral.NONE:
        raise DomainError(
            _(
                "Bez skierowania nie umówisz się w tej poradni na wizytę w ramach NFZ. Możesz umówić wizytę "
                "komercyjną albo skontaktować się z placówką."
            ),
            code="referral_none",
        )


# --- The timetable (POR-2, POR-3) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimetableRow:
    """One doctor's free slots in one poradnia on one day: (value for the hold form, Warsaw start) each."""

    employee: Employee
    cell: Cell
    slots: list[tuple[str, datetime]]

    def buttons(self) -> SafeString:
        """The slots as the hold form's buttons, built here rather than by a template loop or format_html: a week of
        a busy poradnia is near a thousand of them, and those cost most of the page's time (bench/portal.py). Safe
        as it stands: a value is "<employee id>:<epoch seconds>" and a label "HH:MM", both made of numbers here. The
        list around them names the doctor and the day for a screen reader."""
        return mark_safe(  # noqa: S308 - numbers only, see above
            "".join(
                f'<li><button type="submit" name="slot" value="{value}">{starts_at:%H:%M}</button></li>'
                for value, starts_at in self.slots
            )
        )


@dataclass(frozen=True)
class TimetableDay:
    day: date
    rows: list[TimetableRow]


def timetable_start(day: date | None, *, now: datetime) -> date:
    """The Monday the timetable starts on: the week asked for, never one before the current week."""
    today = now.astimezone(WARSAW).date()
    day = max(day or today, today)
    return day - timedelta(days=day.weekday())


def portal_timetable(
    *,
    nfz: bool,
    kind: str,
    date_from: date,
    account: PatientAccount,
    location_id: int | None = None,
    cell_id: int | None = None,
    employee_id: int | None = None,
    now: datetime | None = None,
) -> list[TimetableDay]:
    """The free slots the portal offers over TIMETABLE_DAYS from `date_from`, narrowed by the filters (Wybór
    placówki, poradni, rodzaju wizyty, lekarza), by day, doctor and poradnia. Only from the slot engine; the
    patient's own hold shows as free to him. Five queries."""
    now = now or timezone.now()
    schedules = portal_schedules(nfz=nfz, kind=kind)
    if location_id:
        schedules = schedules.filter(cell__location_id=location_id)
    if cell_id:
        schedules = schedules.filter(cell_id=cell_id)
    if employee_id:
        schedules = schedules.filter(employee_id=employee_id)
    cell_of = dict(schedules.values_list("pk", "cell_id"))
    if not cell_of:
        return []
    free = free_slots(
        employee_ids=set(schedules.values_list("employee_id", flat=True)),
        date_from=date_from,
        date_to=date_from + timedelta(days=TIMETABLE_DAYS - 1),
        not_before=now,
        schedules=Schedule.objects.filter(pk__in=list(cell_of)),
        holder=holder_of(account),
    )
    employees = Employee.objects.in_bulk({employee for employee, slots in free.items() if slots})
    cells = Cell.objects.select_related("location").in_bulk(set(cell_of.values()))
    rows: dict[tuple[date, int, int], list[tuple[str, datetime]]] = {}
    for employee_id_, slots in free.items():
        for slot in slots:
            starts_at = slot.starts_at.astimezone(WARSAW)
            key = (starts_at.date(), employee_id_, cell_of[slot.schedule_id])
            rows.setdefault(key, []).append((f"{employee_id_}:{slot.start}", starts_at))
    days: dict[date, list[TimetableRow]] = {}
    for (day, employee_id_, cell_id_), slots in sorted(
        rows.items(), key=lambda item: (item[0][0], item[1][0][1], employees[item[0][1]].sort_name)
    ):
        row = TimetableRow(employee=employees[employee_id_], cell=cells[cell_id_], slots=slots)
        days.setdefault(day, []).append(row)
    return [TimetableDay(day=day, rows=day_rows) for day, day_rows in days.items()]


def portal_timetable_html(
    *,
    nfz: bool,
    kind: str,
    date_from: date,
    account: PatientAccount,
    location_id: int | None = None,
    cell_id: int | None = None,
    employee_id: int | None = None,
    now: datetime | None = None,
) -> SafeString:
    """`portal_timetable` as the hold form's days ("" when nothing is free), cached for every patient alike unless
    this one holds a slot: his own hold shows free to him alone."""
    arguments = {
        "nfz": nfz,
        "kind": kind,
        "date_from": date_from,
        "location_id": location_id,
        "cell_id": cell_id,
        "employee_id": employee_id,
    }

    def build() -> str:
        days = portal_timetable(**arguments, account=account, now=now)
        return render_to_string("portal/timetable_days.html", {"days": days, "kind": kind}) if days else ""

    if slot_hold_of(holder=holder_of(account), now=now) is not None:
        return mark_safe(build())  # noqa: S308 - rendered by a template
    key = ":".join(["portal:timetable", str(_version()), get_language(), *(str(value) for value in arguments.values())])
    return mark_safe(_cached(key, build))  # noqa: S308 - rendered by a template


# --- Holding, booking, cancelling ---------------------------------------------------------------------------------


def _portal_schedule(*, employee_id: int, starts_at: datetime, kind: str) -> Schedule:
    """The schedule of the time asked for, if the portal offers it for this kind of visit; else the DomainError."""
    covering = schedule_block_covering(employee_id=employee_id, starts_at=starts_at, ends_at=None)
    if covering is not None:
        schedule = covering[0]
        if portal_schedules(nfz=schedule.is_nfz, kind=kind).filter(pk=schedule.pk).exists():
            return schedule
    raise DomainError(
        _("Tego terminu nie można umówić w Portalu Pacjenta. Wybierz termin z terminarza."), code="not_in_portal"
    )


def portal_hold_take(
    *, account: PatientAccount, employee_id: int, starts_at: datetime, kind: str, nfz: bool, referral: str = ""
) -> SlotHold:
    """Hold the chosen slot for the patient while he confirms it (PORTAL_HOLD_MINUTES): a slot of the timetable he
    chose from (NFZ or commercial), with an accepted answer to the referral question under NFZ, and one every
    booking rule allows him (bookings_check, under the doctor's lock)."""
    schedule = _portal_schedule(employee_id=employee_id, starts_at=starts_at, kind=kind)
    if schedule.is_nfz != nfz:
        raise DomainError(
            _("Tego terminu nie można umówić w Portalu Pacjenta. Wybierz termin z terminarza."), code="not_in_portal"
        )
    if nfz:
        referral_check(cell=schedule.cell, referral=referral)
    request = BookingRequest(employee_id=employee_id, starts_at=starts_at, kind=kind, patient=account.patient)
    return slot_hold_take(
        request=request,
        holder=holder_of(account),
        source=AppointmentSource.PORTAL,
        minutes=settings.PORTAL_HOLD_MINUTES,
    )


def portal_hold(*, account: PatientAccount) -> SlotHold | None:
    """The patient's live hold."""
    return slot_hold_of(holder=holder_of(account))


def portal_hold_release(*, account: PatientAccount) -> bool:
    return slot_hold_release(holder=holder_of(account))


@transaction.atomic
def portal_booking_confirm(*, account: PatientAccount, referral: str = "") -> Appointment:
    """ "Potwierdź wizytę": book the patient's held slot through the one booking service (source PORTAL), which
    rechecks every rule under the doctor's lock and consumes the hold. An NFZ booking carries the referral answer in
    its notes for the reception. The confirmation e-mail leaves after commit."""
    hold = slot_hold_of(holder=holder_of(account))
    if hold is None:
        raise DomainError(
            _("Czas na potwierdzenie minął i termin został zwolniony. Wybierz termin ponownie."), code="hold_expired"
        )
    schedule = _portal_schedule(employee_id=hold.employee_id, starts_at=hold.starts_at, kind=hold.kind)
    notes = ""
    if schedule.is_nfz:
        referral_check(cell=schedule.cell, referral=referral)
        notes = clinic_text(REFERRAL_NOTES[Referral(referral)])
    request = BookingRequest(
        employee_id=hold.employee_id,
        starts_at=hold.starts_at,
        ends_at=hold.ends_at,
        kind=hold.kind,
        patient=account.patient,
        notes=notes,
        holder=hold.holder,
    )
    result = appointments_book([request], source=AppointmentSource.PORTAL)[0]
    if isinstance(result, DomainError):
        raise result
    appointment = appointments_for_account(account).get(pk=result.pk)
    transaction.on_commit(lambda: _mail(account=account, appointment=appointment, template="booked"))
    return appointment


def portal_cancel_deadline(appointment: Appointment, *, hours: int | None = None) -> datetime:
    """Until when the patient may cancel the visit in the portal: `hours` before it, by default the clinic's
    setting (Ustawienia > Ogólne)."""
    hours = booking_settings().portal_cancel_hours if hours is None else hours
    return appointment.starts_at - timedelta(hours=hours)


def portal_visit_cancellable(
    appointment: Appointment, *, now: datetime | None = None, hours: int | None = None
) -> bool:
    """Whether the portal offers "Odwołaj wizytę": the visit may be cancelled at all, and it is not too late. The
    one statement of the rule, for every page that offers it and for `portal_visit_cancel`."""
    return appointment.can_cancel() and (now or timezone.now()) <= portal_cancel_deadline(appointment, hours=hours)


@transaction.atomic
def portal_visit_cancel(
    *, account: PatientAccount, appointment: Appointment, now: datetime | None = None
) -> Appointment:
    """The patient cancels his visit (one of his own: the caller read it with `appointment_for_account`) until the
    clinic's cut-off; later he is asked to call. The e-mail leaves after commit."""
    if appointment.patient_id != account.patient_id or not appointment.can_cancel():
        raise DomainError(_("Tej wizyty nie można już odwołać."), code="not_cancellable")
    if not portal_visit_cancellable(appointment, now=now):
        raise DomainError(
            _(
                "Wizytę można odwołać w Portalu Pacjenta najpóźniej %(hours)s godz. przed jej początkiem. Prosimy o "
                "telefon do placówki: %(phone)s."
            )
            % {"hours": booking_settings().portal_cancel_hours, "phone": appointment.cell.phone},
            code="too_late",
        )
    appointment = appointment_cancel(
        appointment=appointment,
        source=AppointmentSource.PORTAL,
        reason=clinic_text(gettext_lazy("Odwołana przez pacjenta w Portalu Pacjenta.")),
        now=now,
    )
    appointment = appointments_for_account(account).get(pk=appointment.pk)
    transaction.on_commit(lambda: _mail(account=account, appointment=appointment, template="cancelled"))
    return appointment


def portal_visits(*, account: PatientAccount, now: datetime | None = None) -> tuple[list, list]:
    """ "Moje wizyty": the visits ahead, soonest first, and the others (past or cancelled), latest first."""
    now = now or timezone.now()
    visits = appointments_for_account(account).select_related("cell__location")
    ahead = Q(ends_at__gt=now) & ~Q(status=AppointmentStatus.CANCELLED)
    return list(visits.filter(ahead).order_by("starts_at")), list(visits.exclude(ahead).order_by("-starts_at")[:50])


def _mail(*, account: PatientAccount, appointment: Appointment, template: str) -> None:
    """The booking's or cancellation's e-mail to the account's address: when, where, with whom; never the PESEL. A
    mail server that is down must not undo the booking, so a failure is logged."""
    context = {"appointment": appointment, "televisit": appointment.kind == AppointmentKind.TELEVISIT}
    subject = render_to_string(f"portal/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"portal/email/{template}.txt", context)
    try:
        EmailMessage(subject=subject, body=body, to=[account.email]).send()
    except OSError:  # smtplib.SMTPException is an OSError
        logger.exception("Portal %s e-mail not sent for appointment %s", template, appointment.pk)
