"""What OSOZ shows of the clinic (OSZ-2, OSZ-3, SCH-5): which resources a change affects, and their documents.

The OSOZ listener (changes.py) hands the resources a change touched to `resources_enqueue`, which raises the outbox
rows (outbox.py) of those and of what they affect — a doctor's visibility decides his schedules and slots — but only
with the integration on, and only for what OSOZ shows now or showed last (so a withdrawal is sent once and
never-published data stays private). At send time the outbox asks the builders here for the location, doctor,
schedule and free-slots documents, made from the current database (free slots straight from the slot engine).
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from clinic.models import Employee, EmployeeCell, Location, OsozAccess
from core.text import join_lazy
from core.time import WARSAW
from osoz_integration import interface, outbox
from osoz_integration.client import OsozClient
from osoz_integration.models import Connection, OutboxKind, OutboxMessage, outbox_key
from payers.schedule_offers import schedule_offer_published
from scheduling.models import Schedule
from scheduling.selectors import free_slots, online_schedules

ACCESS = {OsozAccess.PATIENT: "patient", OsozAccess.INSURER: "insurer_callcenter", OsozAccess.ALL: "all"}


# --- Writing the outbox (inside the caller's transaction) ---------------------------------------------------------


def _integration_active() -> bool:
    return (
        Connection.objects.filter(pk=Connection.SINGLETON_ID, enabled=True)
        .exclude(client_id="")
        .exclude(client_secret_encrypted="")
        .exists()
    )


def _shown(resources: Collection[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of these resources OSOZ should show now (STR-1, STR-4, SCH-2): a query per kind, however many."""
    ids: dict[str, set[int]] = {}
    for kind, object_id in resources:
        ids.setdefault(kind, set()).add(object_id)
    # Each kind: what OSOZ shows, and the column naming the resource. A doctor's slots show while any of his
    # schedules does.
    shown_where = {
        OutboxKind.LOCATION: (Location.objects.filter(osoz_enabled=True), "pk"),
        OutboxKind.DOCTOR: (Employee.objects.filter(osoz_enabled=True, is_medical=True), "pk"),
        OutboxKind.SCHEDULE: (online_schedules(), "pk"),
        OutboxKind.SLOTS: (online_schedules(), "employee_id"),
    }
    shown: set[tuple[str, int]] = set()
    for kind, kind_ids in ids.items():
        queryset, column = shown_where[kind]
        found = queryset.filter(**{f"{column}__in": kind_ids}).values_list(column, flat=True).order_by().distinct()
        shown |= {(kind, object_id) for object_id in found}
    return shown


def _affected(resources: Collection[tuple[str, int]]) -> list[tuple[str, int]]:
    """The resources and those whose documents a change of them may alter: a doctor's visibility and cells decide his
    schedules and slots (STR-5), a schedule's settings decide its doctor's slots (SCH-5). A query per kind."""
    doctors = [object_id for kind, object_id in resources if kind == OutboxKind.DOCTOR]
    schedules_of: dict[int, list[int]] = {}
    for employee_id, pk in Schedule.objects.filter(employee_id__in=doctors).values_list("employee_id", "pk"):
        schedules_of.setdefault(employee_id, []).append(pk)
    schedules = [object_id for kind, object_id in resources if kind == OutboxKind.SCHEDULE]
    doctor_of = dict(Schedule.objects.filter(pk__in=schedules).values_list("pk", "employee_id"))
    affected: dict[tuple[str, int], None] = {}  # an ordered set
    for kind, object_id in resources:
        affected[(kind, object_id)] = None
        if kind == OutboxKind.DOCTOR:
            affected |= dict.fromkeys((OutboxKind.SCHEDULE, pk) for pk in schedules_of.get(object_id, ()))
            affected[(OutboxKind.SLOTS, object_id)] = None
        elif kind == OutboxKind.SCHEDULE:
            affected[(OutboxKind.SLOTS, doctor_of[object_id])] = None
    return list(affected)


def _enqueue(resources: Iterable[tuple[str, int]], now: datetime) -> None:
    """Raise the outbox rows of the resources and of what they affect, for those OSOZ shows now or showed last."""
    affected = _affected(list(resources))
    keys = {outbox_key(kind, object_id): (kind, object_id) for kind, object_id in affected}
    shown_last = set(OutboxMessage.objects.filter(key__in=keys, visible_sent=True).values_list("key", flat=True))
    shown_now = _shown(affected)
    due: dict[str, list[int]] = {}
    for key, (kind, object_id) in keys.items():
        if (kind, object_id) in shown_now or key in shown_last:
            due.setdefault(kind, []).append(object_id)
    for kind, object_ids in due.items():
        outbox.outbox_upsert(kind=kind, object_ids=object_ids, now=now)


def resources_enqueue(resources: Collection[tuple[str, int]]) -> bool:
    """Raise, in the caller's transaction, the outbox rows of these resources (kind, id) and of what they affect —
    only with the integration on and connected, and only for what OSOZ shows now or showed last (so a withdrawal is
    sent once and never-published data stays private). True when rows were raised and a drain is due."""
    if not resources or not _integration_active():
        return False
    _enqueue(resources, timezone.now())
    return True


@transaction.atomic
def publication_enqueue_all() -> None:
    """Everything OSOZ should show: after connecting, switching the integration on, and nightly (the window of
    published free slots moves on by a day)."""
    if not _integration_active():
        return
    locations = [(OutboxKind.LOCATION, pk) for pk in Location.objects.values_list("pk", flat=True)]
    doctors = [(OutboxKind.DOCTOR, pk) for pk in Employee.objects.filter(is_medical=True).values_list("pk", flat=True)]
    _enqueue([*locations, *doctors], timezone.now())
    transaction.on_commit(outbox.outbox_drain_request)


# --- Documents, built at send time from the current state ---------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A document ready to PUT and the words that audit it, marked lazily for translation.

    The delivery below uses only `visible`, `target`, `sends`, `send`, `sent_record`, the two audit actions and the
    three texts, so another kind of outbox message (bookings_out.BookingCommand) brings its own words."""

    visible: bool
    target: models.Model
    published: Promise  # "Opublikowano w OSOZ <published>."
    withdrawn: Promise  # "Wycofano z OSOZ <withdrawn>."
    failed: Promise  # "Nie udało się opublikować w OSOZ <failed>: …"
    send: Callable[[OsozClient], bool]  # PUTs the document; True when OSOZ applied it
    payload: interface.Payload  # what `send` PUTs; reconciliation compares its fingerprint with what OSOZ holds

    sends = True  # a publication is always PUT, even when it only repeats what OSOZ has
    action = "osoz_published"
    failed_action = "osoz_publication_failed"

    def sent_record(self) -> None:
        """What OSOZ now shows is the row's `visible_sent`; nothing else to record."""

    def sent_text(self, applied: bool) -> Promise:
        if self.visible:
            text = format_lazy(_("Opublikowano w OSOZ {published}."), published=self.published)
        else:
            text = format_lazy(_("Wycofano z OSOZ {withdrawn}."), withdrawn=self.withdrawn)
        if applied:
            return text
        return join_lazy(" ", [text, _("OSOZ miał już tę lub nowszą wersję, więc nic się nie zmieniło.")])

    def retry_text(self, error: str | Promise, at: str) -> Promise:
        return format_lazy(
            _("Nie udało się opublikować w OSOZ {failed}: {error}. Ponowienie o {at}."),
            failed=self.failed,
            error=error,
            at=at,
        )

    def refused_text(self, error: str | Promise) -> Promise:
        return format_lazy(
            _(
                "OSOZ odrzucił publikację {failed}: {error}. Zostanie wysłana ponownie po następnej zmianie tych "
                "danych."
            ),
            failed=self.failed,
            error=error,
        )


def location_document(location_id: int, version: int) -> Document:
    location = Location.objects.prefetch_related("cells").get(pk=location_id)
    document = interface.Location(
        version=version,
        osoz_location_id=location.osoz_location_id or "",
        unit_name=location.osoz_unit_name or location.name,
        address=interface.Address(
            street=location.street,
            city=location.city,
            postcode=location.postcode,
            commune=location.commune,
            phone=location.phone,
        ),
        public_key_pem=location.public_key_pem,
        visible=location.osoz_enabled,
        cells=[interface.Cell(cell_id=str(cell.pk), name=cell.name) for cell in location.cells.all()],
    )
    cells = ", ".join(cell.name for cell in document.cells) or _("brak")
    return Document(
        visible=document.visible,
        target=location,
        published=format_lazy(
            _("lokalizację „{name}” (numer jednostki {unit_number}, komórki: {cells})"),
            name=location.name,
            unit_number=location.osoz_unit_number,
            cells=cells,
        ),
        withdrawn=format_lazy(
            _("lokalizację „{name}” – pacjenci nie widzą jej ani lekarzy w jej komórkach"), name=location.name
        ),
        failed=format_lazy(_("lokalizacji „{name}”"), name=location.name),
        send=lambda client: client.location_put(location.osoz_unit_number, document).applied,
        payload=document,
    )


def doctor_document(employee_id: int, version: int) -> Document:
    employee = Employee.objects.prefetch_related("osoz_specialisations").get(pk=employee_id)
    cells = list(
        EmployeeCell.objects.filter(employee=employee, osoz_published=True).select_related("cell").order_by("cell")
    )
    document = interface.Doctor(
        version=version,
        title=employee.title[:40],
        first_name=employee.first_name[:100],
        last_name=employee.last_name[:100],
        specialisations=[
            interface.Specialisation(code=item.code, name=item.name) for item in employee.osoz_specialisations.all()
        ][:20],
        description=employee.osoz_description[:5000],
        callcenter_description=employee.osoz_callcenter_description[:5000],
        access=ACCESS[employee.osoz_access],
        cell_ids=[str(link.cell_id) for link in cells],
        visible=employee.osoz_enabled and employee.is_medical,
    )
    cell_names = ", ".join(link.cell.name for link in cells) or _("brak")
    return Document(
        visible=document.visible,
        target=employee,
        published=format_lazy(_("lekarza {employee} (komórki: {cells})"), employee=employee, cells=cell_names),
        withdrawn=format_lazy(
            _("lekarza {employee} wraz z jego harmonogramami i wolnymi terminami"), employee=employee
        ),
        failed=format_lazy(_("lekarza {employee}"), employee=employee),
        send=lambda client: client.doctor_put(str(employee.pk), document).applied,
        payload=document,
    )


def _schedule_details(schedule: Schedule, offer: Promise, payers: list[str]) -> str:
    details = [*(label.lower() for label in schedule.attribute_labels), str(offer)]
    if payers:
        details.append(str(format_lazy(_("płatnicy OSOZ: {payers}"), payers=", ".join(payers))))
    return ", ".join(details)


# The schedule's attributes, its ZnanyLekarz offer and its OSOZ payers as its audit lists them, worded when the audit
# text is rendered (in its language).
_schedule_details_lazy = lazy(_schedule_details, str)


def schedule_document(schedule_id: int, version: int) -> Document:
    schedule = Schedule.objects.select_related("employee", "cell__location").get(pk=schedule_id)
    visible = online_schedules(employee_id=schedule.employee_id).filter(pk=schedule.pk).exists()
    # OSZ-11: offered on ZnanyLekarz as ordinary visits, also "Możliwa telewizyta"; "Tylko telewizyta" never.
    znanylekarz = schedule.osoz_online and not schedule.televisit_only
    # SCH-4: what the payer settings offer now; a payer gone from OSOZ, or a group left without its payer's
    # overridden services, is left out rather than sent.
    offered = schedule_offer_published(schedule=schedule)
    document = interface.Schedule(
        version=version,
        doctor_id=str(schedule.employee_id),
        location_unit_number=schedule.cell.location.osoz_unit_number,
        cell_id=str(schedule.cell_id),
        valid_from=schedule.valid_from.isoformat(),
        valid_to=schedule.valid_to.isoformat() if schedule.valid_to else None,
        nfz=schedule.is_nfz,
        requirement=schedule.osoz_requirement[:2000],
        attributes=interface.ScheduleAttributes(
            first_free_only=schedule.first_free_only,
            children_sick=schedule.children_sick,
            children_healthy=schedule.children_healthy,
            televisit_possible=schedule.televisit_possible,
            televisit_only=schedule.televisit_only,
        ),
        znanylekarz_offer=znanylekarz,
        payers=[
            interface.PayerOffer(payer_id=payer.osoz_id, service_group_ids=[str(group.pk) for group in groups])
            for payer, groups in offered
        ],
        visible=visible,
    )
    return Document(
        visible=visible,
        target=schedule,
        published=format_lazy(
            _("harmonogram {schedule} ({details})"),
            schedule=schedule,
            details=_schedule_details_lazy(
                schedule,
                _("oferowany w ZnanyLekarz") if znanylekarz else _("bez ZnanyLekarz"),
                [payer.name for payer, _groups in offered],
            ),
        ),
        withdrawn=format_lazy(_("harmonogram {schedule} – jego terminy nie są oferowane"), schedule=schedule),
        failed=format_lazy(_("harmonogramu {schedule}"), schedule=schedule),
        send=lambda client: client.schedule_put(str(schedule.pk), document).applied,
        payload=document,
    )


def publication_window(today: date) -> tuple[date, date]:
    return today, today + timedelta(weeks=settings.OSOZ_PUBLICATION_WEEKS, days=-1)


def slots_document(employee_id: int, version: int) -> Document:
    """Every free slot of the doctor's published schedules over the window, from the slot engine. The platform
    applies "Wybieraj pierwszy wolny termin" itself (SCH-3), so all of them are sent."""
    employee = Employee.objects.get(pk=employee_id)
    now = timezone.now()
    date_from, date_to = publication_window(timezone.localdate(now))
    schedules = online_schedules(employee_id=employee_id)
    slots = free_slots(
        employee_ids=[employee_id], date_from=date_from, date_to=date_to, not_before=now, schedules=schedules
    ).get(employee_id, [])
    document = interface.SlotsSnapshot(
        date_from=date_from.isoformat(),
        date_to=date_to.isoformat(),
        version=version,
        slots=[
            interface.Slot(
                schedule_id=str(slot.schedule_id),
                starts_at=slot.starts_at.astimezone(WARSAW).isoformat(),
                ends_at=slot.ends_at.astimezone(WARSAW).isoformat(),
            )
            for slot in slots
        ],
    )
    weeks, count = settings.OSOZ_PUBLICATION_WEEKS, len(document.slots)
    return Document(
        visible=schedules.exists(),
        target=employee,
        published=format_lazy(
            _("wolne terminy lekarza {employee} ({weeks}, {slots})"),
            employee=employee,
            weeks=format_lazy(ngettext_lazy("{count} tydzień", "{count} tygodni", weeks), count=weeks),
            slots=format_lazy(ngettext_lazy("{count} termin", "{count} terminów", count), count=count),
        ),
        withdrawn=format_lazy(
            _("wolne terminy lekarza {employee} (brak harmonogramów udostępnionych w OSOZ)"), employee=employee
        ),
        failed=format_lazy(_("wolnych terminów lekarza {employee}"), employee=employee),
        send=lambda client: client.doctor_slots_put(str(employee.pk), document).applied,
        payload=document,
    )
