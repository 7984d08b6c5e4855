"""Publication to OSOZ (OSZ-2, OSZ-3): the transactional outbox and its delivery.

A change that alters what OSOZ should show is recorded by its domain (core.changes); the listener in changes.py
hears it inside the change's transaction and upserts the outbox row of the resource ("slots:12"), so a burst of
changes leaves one pending message. Workers drain the outbox:
they claim a row with a conditional update, build the document from the database at send time (a snapshot, never a
stored payload), PUT it with the row's version and mark that version sent. A change that lands during the send
raises the version again, so the row is sent once more afterwards. OSOZ answers an old or repeated version with
`applied: false`, so a message may be delivered twice without harm. Nothing is lost while OSOZ or the worker is
down: the rows stay pending until a drain gets through.
"""

import logging
import random
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    PositiveBigIntegerField,
    PositiveIntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone
from kombu.exceptions import OperationalError

from clinic.models import Employee, EmployeeCell, Location, OsozAccess
from core.models import AuditCategory, AuditOutcome
from core.services import audit_record
from core.time import WARSAW
from osoz_integration import bookings_out, interface, monitor, tasks
from osoz_integration.client import OsozClient, OsozPermanentError, OsozTransientError
from osoz_integration.models import KIND_PRIORITY, Connection, OutboxKind, OutboxMessage, outbox_key
from osoz_integration.selectors import connection_client, connection_get
from scheduling.models import Schedule
from scheduling.selectors import free_slots, online_schedules

logger = logging.getLogger(__name__)

# How long a drain holds a claimed row; a worker that died mid-send gives it back when this runs out.
CLAIM_LEASE = timedelta(minutes=2)
DRAIN_BATCH = 200
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


def _version_at(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def outbox_upsert(*, kind: str, object_ids: Iterable[int], now: datetime) -> None:
    """Make each resource's outbox row pending with a higher version, in the caller's transaction: an UPDATE of the
    rows that exist and one INSERT of the others, however many resources."""
    keys = {outbox_key(kind, object_id): object_id for object_id in object_ids}
    # A row waiting out a transient failure keeps its backoff, so a burst of changes does not hammer an OSOZ that
    # is down; a sent or parked row becomes due at once.
    fresh = Q(attempts=0) | Q(next_attempt_at__isnull=True)
    changes = {
        "version": Greatest(F("version") + 1, Value(_version_at(now)), output_field=PositiveBigIntegerField()),
        "changed_at": now,
        "next_attempt_at": Case(
            When(fresh, then=Value(now, output_field=DateTimeField())), default=F("next_attempt_at")
        ),
        "attempts": Case(
            When(next_attempt_at__isnull=True, then=Value(0)),
            default=F("attempts"),
            output_field=PositiveIntegerField(),
        ),
    }
    while keys:
        existing = set(OutboxMessage.objects.filter(key__in=keys).values_list("key", flat=True))
        if existing:
            OutboxMessage.objects.filter(key__in=existing).update(**changes)
        keys = {key: object_id for key, object_id in keys.items() if key not in existing}
        if not keys:
            return
        try:
            with transaction.atomic():
                OutboxMessage.objects.bulk_create(
                    OutboxMessage(
                        key=key,
                        kind=kind,
                        object_id=object_id,
                        priority=KIND_PRIORITY[kind],
                        version=_version_at(now),
                        changed_at=now,
                        next_attempt_at=now,
                    )
                    for key, object_id in keys.items()
                )
            return
        except IntegrityError:
            # A concurrent transaction created one of the rows first: the next round raises its version.
            continue


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
        outbox_upsert(kind=kind, object_ids=object_ids, now=now)


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
    transaction.on_commit(outbox_drain_request)


def outbox_drain_request() -> None:
    """Ask a worker to drain now. If the broker is unreachable the rows simply wait for the beat's next drain."""
    try:
        tasks.outbox_drain.apply_async(retry=False)
    except OperationalError:
        logger.warning("Celery broker unreachable; the OSOZ outbox waits for the periodic drain")


# --- Documents, built at send time from the current state ---------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A document ready to PUT and the Polish words that audit it.

    The delivery below uses only `visible`, `target`, `sends`, `send`, `sent_record`, the two audit actions and the
    three texts, so another kind of outbox message (bookings_out.BookingCommand) brings its own words."""

    visible: bool
    target: models.Model
    published: str  # "Opublikowano w OSOZ <published>."
    withdrawn: str  # "Wycofano z OSOZ <withdrawn>."
    failed: str  # "Nie udało się opublikować w OSOZ <failed>: …"
    send: Callable[[OsozClient], bool]  # PUTs the document; True when OSOZ applied it

    sends = True  # a publication is always PUT, even when it only repeats what OSOZ has
    action = "osoz_published"
    failed_action = "osoz_publication_failed"

    def sent_record(self) -> None:
        """What OSOZ now shows is the row's `visible_sent`; nothing else to record."""

    def sent_text(self, applied: bool) -> str:
        text = f"Opublikowano w OSOZ {self.published}." if self.visible else f"Wycofano z OSOZ {self.withdrawn}."
        if not applied:
            text += " OSOZ miał już tę lub nowszą wersję, więc nic się nie zmieniło."
        return text

    def retry_text(self, error: str, at: str) -> str:
        return f"Nie udało się opublikować w OSOZ {self.failed}: {error}. Ponowienie o {at}."

    def refused_text(self, error: str) -> str:
        return (
            f"OSOZ odrzucił publikację {self.failed}: {error}. "
            "Zostanie wysłana ponownie po następnej zmianie tych danych."
        )


def _polish_plural(count: int, one: str, few: str, many: str) -> str:
    if count == 1:
        return f"{count} {one}"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return f"{count} {few}"
    return f"{count} {many}"


def _location_document(location_id: int, version: int) -> Document:
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
    cells = ", ".join(cell.name for cell in document.cells) or "brak"
    return Document(
        visible=document.visible,
        target=location,
        published=(f"lokalizację „{location.name}” (numer jednostki {location.osoz_unit_number}, komórki: {cells})"),
        withdrawn=f"lokalizację „{location.name}” – pacjenci nie widzą jej ani lekarzy w jej komórkach",
        failed=f"lokalizacji „{location.name}”",
        send=lambda client: client.location_put(location.osoz_unit_number, document).applied,
    )


def _doctor_document(employee_id: int, version: int) -> Document:
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
    cell_names = ", ".join(link.cell.name for link in cells) or "brak"
    return Document(
        visible=document.visible,
        target=employee,
        published=f"lekarza {employee} (komórki: {cell_names})",
        withdrawn=f"lekarza {employee} wraz z jego harmonogramami i wolnymi terminami",
        failed=f"lekarza {employee}",
        send=lambda client: client.doctor_put(str(employee.pk), document).applied,
    )


def _schedule_document(schedule_id: int, version: int) -> Document:
    schedule = Schedule.objects.select_related("employee", "cell__location").get(pk=schedule_id)
    visible = online_schedules(employee_id=schedule.employee_id).filter(pk=schedule.pk).exists()
    # OSZ-11: offered on ZnanyLekarz as ordinary visits, also "Możliwa telewizyta"; "Tylko telewizyta" never.
    znanylekarz = schedule.osoz_online and not schedule.televisit_only
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
        visible=visible,
    )
    details = [label.lower() for label in schedule.attribute_labels]
    details.append("oferowany w ZnanyLekarz" if znanylekarz else "bez ZnanyLekarz")
    return Document(
        visible=visible,
        target=schedule,
        published=f"harmonogram {schedule} ({', '.join(details)})",
        withdrawn=f"harmonogram {schedule} – jego terminy nie są oferowane",
        failed=f"harmonogramu {schedule}",
        send=lambda client: client.schedule_put(str(schedule.pk), document).applied,
    )


def publication_window(today: date) -> tuple[date, date]:
    return today, today + timedelta(weeks=settings.OSOZ_PUBLICATION_WEEKS, days=-1)


def _slots_document(employee_id: int, version: int) -> Document:
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
    weeks = _polish_plural(settings.OSOZ_PUBLICATION_WEEKS, "tydzień", "tygodnie", "tygodni")
    count = _polish_plural(len(document.slots), "termin", "terminy", "terminów")
    return Document(
        visible=schedules.exists(),
        target=employee,
        published=f"wolne terminy lekarza {employee} ({weeks}, {count})",
        withdrawn=f"wolne terminy lekarza {employee} (brak harmonogramów udostępnionych w OSOZ)",
        failed=f"wolnych terminów lekarza {employee}",
        send=lambda client: client.doctor_slots_put(str(employee.pk), document).applied,
    )


def _booking_document(booking_pk: int, version: int) -> "bookings_out.BookingCommand":
    # bookings_out builds on this module, so its builder is looked up when a message is sent, not at import.
    return bookings_out.booking_command(booking_pk, version)


BUILDERS = {
    OutboxKind.LOCATION: _location_document,
    OutboxKind.DOCTOR: _doctor_document,
    OutboxKind.SCHEDULE: _schedule_document,
    OutboxKind.SLOTS: _slots_document,
    OutboxKind.BOOKING: _booking_document,
}


# --- Delivery (the worker side) -----------------------------------------------------------------------------------


def outbox_due(now: datetime) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(version__gt=F("sent_version"), next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _claim(pk: int, now: datetime) -> OutboxMessage | None:
    """Take the row for this drain with a conditional update: of two drains racing for it, one changes it."""
    claimed = outbox_due(now).filter(pk=pk).update(claimed_until=now + CLAIM_LEASE)
    return OutboxMessage.objects.get(pk=pk) if claimed == 1 else None


def outbox_retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter for a message that failed `attempts` times in a row."""
    ceiling = min(settings.OSOZ_OUTBOX_RETRY_SECONDS * 2 ** (attempts - 1), settings.OSOZ_OUTBOX_RETRY_MAX_SECONDS)
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 - jitter, not a secret


def _audit(document: Document, message: str, outcome: AuditOutcome = AuditOutcome.SUCCESS) -> None:
    audit_record(
        category=AuditCategory.INTEGRATION,
        action=document.action if outcome == AuditOutcome.SUCCESS else document.failed_action,
        message=message,
        target=document.target,
        outcome=outcome,
    )


class _Unreachable(Exception):
    """OSOZ failed transiently: the rest of this drain would fail the same way."""


def _deliver(client: OsozClient, message: OutboxMessage, now: datetime) -> bool:
    """Send one claimed message; False when OSOZ refused it for good, _Unreachable when it failed transiently."""
    version = message.version
    document = BUILDERS[message.kind](message.object_id, version)
    rows = OutboxMessage.objects.filter(pk=message.pk)
    sent = Greatest(F("sent_version"), Value(version), output_field=PositiveBigIntegerField())
    if not document.sends:
        # OSOZ already knows everything this message was about (e.g. a booking the patient cancelled there).
        rows.update(sent_version=sent, attempts=0, last_error="", claimed_until=None)
        return True
    try:
        applied = document.send(client)
    except OsozTransientError as error:
        attempts = message.attempts + 1
        retry_at = now + outbox_retry_delay(attempts)
        rows.update(attempts=attempts, next_attempt_at=retry_at, last_error=error.message, claimed_until=None)
        monitor.connection_exchange_record(error=error.message, now=now)
        at = timezone.localtime(retry_at).strftime("%H:%M")
        _audit(document, document.retry_text(error.message.rstrip("."), at), AuditOutcome.FAILURE)
        raise _Unreachable from error
    except OsozPermanentError as error:
        # Repeating the same document cannot help; the next change of the resource sends a new one.
        rows.update(attempts=message.attempts + 1, next_attempt_at=None, last_error=error.message, claimed_until=None)
        monitor.connection_exchange_record(error=error.message, unreachable=monitor.error_is_outage(error), now=now)
        _audit(document, document.refused_text(error.message.rstrip(".")), AuditOutcome.FAILURE)
        return False
    with transaction.atomic():
        rows.update(
            sent_version=sent, visible_sent=document.visible, attempts=0, last_error="", sent_at=now, claimed_until=None
        )
        document.sent_record()
    monitor.connection_exchange_record(now=now)
    _audit(document, document.sent_text(applied))
    return True


@dataclass
class DrainResult:
    sent: int = 0
    failed: int = 0
    unreachable: bool = False
    more: bool = False


def outbox_drain(*, now: datetime | None = None, limit: int = DRAIN_BATCH) -> DrainResult:
    """Deliver the due outbox rows once each: locations, then doctors, schedules and slots, oldest change first.
    Safe to run in several workers at once and to run twice."""
    now = now or timezone.now()
    result = DrainResult()
    connection = connection_get()
    if not connection.is_active:
        return result
    due = list(outbox_due(now).order_by("priority", "changed_at").values_list("pk", flat=True)[:limit])
    if not due:
        return result
    with connection_client(connection) as client:
        for pk in due:
            message = _claim(pk, now)
            if message is None:
                continue
            try:
                delivered = _deliver(client, message, now)
            except _Unreachable:
                result.failed += 1
                result.unreachable = True
                break
            if delivered:
                result.sent += 1
            else:
                result.failed += 1
    # Rows changed while they were being sent are due again; a drain that found OSOZ down leaves them to the beat.
    result.more = not result.unreachable and outbox_due(timezone.now()).exists()
    return result
