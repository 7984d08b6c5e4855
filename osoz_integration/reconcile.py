"""Reconciliation: every OSOZ_RECONCILIATION_MINUTES (and when an administrator asks, on Stan integracji) compare what
OSOZ shows with what the product holds and repair each difference through the outbox.

OSOZ summarises what it holds (contract 1.2.0): each location, doctor and schedule with a fingerprint of its content,
each doctor's free slots in a range as a count and a fingerprint, and the state of each booking. The product computes
the same fingerprints from the documents its builders would send now and raises the outbox row of each resource that
differs, so only the differences are sent, built at send time like any other change; a resource whose row is pending
or was sent after OSOZ answered is left alone (it is on its way, not drift).

Which side wins:
- locations, doctors, schedules and free slots: the product. What it publishes is sent again; what OSOZ shows but the
  product does not publish is withdrawn (its builder makes the document with `visible: false`). A resource OSOZ shows
  that the product does not know at all cannot be withdrawn through the outbox and is only reported.
- a booking's state: the product for what the clinic decides (accept, reject, its cancellation, a move): what OSOZ holds
  is recorded and the command that brings OSOZ back is sent. OSOZ for what the patient does: a patient's cancellation
  on LBK, or a booking the product has not received, comes through the booking events feed and is only reported, as
  is a final state on OSOZ that no command can undo.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from clinic.models import Employee, Location
from core.models import AuditCategory, AuditOutcome
from core.services import audit_record
from core.text import clinic_text
from core.time import WARSAW, datetime_pl
from osoz_integration import bookings_out, interface, monitor, outbox, publication
from osoz_integration.client import OsozError
from osoz_integration.models import (
    Connection,
    OsozBooking,
    OsozBookingState,
    OutboxKind,
    OutboxMessage,
    ReconciliationRun,
    outbox_key,
)
from osoz_integration.selectors import connection_client, connection_get
from osoz_integration.texts import phrase_lazy
from scheduling.models import Schedule
from scheduling.selectors import free_slots, online_schedules

logger = logging.getLogger(__name__)

# A run still unfinished after this long died with its worker; another may start.
STALE_RUN = timedelta(minutes=30)
# Older runs are forgotten as each new one starts: Stan integracji shows the last, the audit trail what differed.
RUNS_KEPT = timedelta(days=30)
# A booking OSOZ made this recently may still be on its way through the feed: not a difference yet.
FEED_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class Difference:
    kind: str
    text: Promise
    # The product's resource whose outbox row repairs it; None when the outbox cannot (reported only).
    object_id: int | None = None

    @property
    def repairable(self) -> bool:
        return self.object_id is not None


def _missing(what: Promise, kind: str, object_id: int) -> Difference:
    return Difference(kind, format_lazy(_("{what}: brak w OSOZ, choć Poradnia publikuje."), what=what), object_id)


def _altered(what: Promise, kind: str, object_id: int) -> Difference:
    return Difference(kind, format_lazy(_("{what}: w OSOZ inne dane niż w Poradni."), what=what), object_id)


def _extra(what: Promise, kind: str, object_id: int) -> Difference:
    return Difference(
        kind, format_lazy(_("{what}: OSOZ pokazuje pacjentom, choć Poradnia nie publikuje."), what=what), object_id
    )


def _unknown(what: Promise, kind: str, resource_id: str) -> Difference:
    return Difference(
        kind,
        format_lazy(
            _(
                "{what} o identyfikatorze {id}: OSOZ pokazuje pacjentom, a w Poradni nie istnieje. Nie naprawiono "
                "automatycznie: usuń w Serwisie Świadczeniodawcy OSOZ."
            ),
            what=what,
            id=resource_id,
        ),
    )


def _compare(
    *,
    kind: str,
    remote: dict[str, interface.ResourceSummary],
    local: dict[str, tuple[int, Promise, interface.Payload | None]],
    unknown: Promise,
    skip: set[str],
) -> list[Difference]:
    """Resources of one kind: `local` maps OSOZ's id to (the product's id, its words, the document it publishes, or
    None when it publishes none)."""
    found = []
    for resource_id, (object_id, what, payload) in local.items():
        if outbox_key(kind, object_id) in skip:
            continue
        held = remote.get(resource_id)
        if payload is not None and held is None:
            found.append(_missing(what, kind, object_id))
        elif payload is not None and held.fingerprint != interface.resource_fingerprint(payload):
            found.append(_altered(what, kind, object_id))
        elif payload is None and held is not None and held.visible:
            found.append(_extra(what, kind, object_id))
    found += [
        _unknown(unknown, kind, resource_id)
        for resource_id, held in remote.items()
        if held.visible and resource_id not in local
    ]
    return found


def _shown_document(document: publication.Document) -> interface.Payload | None:
    return document.payload if document.visible else None


def _location_differences(summary: interface.PublicationSummary, skip: set[str]) -> list[Difference]:
    local = {}
    for location in Location.objects.exclude(osoz_unit_number=None):
        what = format_lazy(_("Lokalizacja „{name}”"), name=location.name)
        document = publication.location_document(location.pk, 1)
        local[str(location.osoz_unit_number)] = (location.pk, what, _shown_document(document))
    remote = {held.id: held for held in summary.locations}
    return _compare(kind=OutboxKind.LOCATION, remote=remote, local=local, unknown=_("Jednostka"), skip=skip)


def _doctor_differences(summary: interface.PublicationSummary, skip: set[str]) -> list[Difference]:
    remote = {held.id: held for held in summary.doctors}
    published = Employee.objects.filter(osoz_enabled=True, is_medical=True)
    shown_there = Employee.objects.filter(pk__in=[int(i) for i in remote if i.isdigit()])
    local = {}
    for employee in (published | shown_there).distinct():
        what = format_lazy(_("Lekarz {employee}"), employee=employee)
        payload = _shown_document(publication.doctor_document(employee.pk, 1))
        local[str(employee.pk)] = (employee.pk, what, payload)
    return _compare(kind=OutboxKind.DOCTOR, remote=remote, local=local, unknown=_("Lekarz"), skip=skip)


def _schedule_differences(summary: interface.PublicationSummary, skip: set[str]) -> list[Difference]:
    remote = {held.id: held for held in summary.schedules}
    published = set(online_schedules().values_list("pk", flat=True))
    shown_there = Schedule.objects.filter(pk__in=[int(i) for i in remote if i.isdigit()]).values_list("pk", flat=True)
    local = {}
    for schedule_id in published | set(shown_there):
        document = publication.schedule_document(schedule_id, 1)
        what = format_lazy(_("Harmonogram {schedule}"), schedule=document.target)
        local[str(schedule_id)] = (schedule_id, what, _shown_document(document))
    return _compare(kind=OutboxKind.SCHEDULE, remote=remote, local=local, unknown=_("Harmonogram"), skip=skip)


def slots_range(now: datetime) -> tuple:
    """The days whose free slots are compared: the publication window without today (slots that have begun are no
    longer sent, but OSOZ keeps them until the day is over) and without its last day (added by the nightly refresh,
    so OSOZ lacks it for a few minutes after midnight)."""
    date_from, date_to = publication.publication_window(timezone.localdate(now))
    return date_from + timedelta(days=1), date_to - timedelta(days=1)


def _slots_differences(summary: interface.PublicationSummary, skip: set[str], now: datetime) -> list[Difference]:
    date_from, date_to = slots_range(now)
    window_from, window_to = publication.publication_window(timezone.localdate(now))
    schedules = online_schedules()
    employee_ids = set(schedules.values_list("employee_id", flat=True))
    # One run of the slot engine for every doctor, with the arguments of publication.slots_document.
    computed = free_slots(
        employee_ids=employee_ids, date_from=window_from, date_to=window_to, not_before=now, schedules=schedules
    )
    here: dict[str, list[tuple[str, datetime, datetime]]] = {}
    for employee_id, slots in computed.items():
        kept = [
            (str(slot.schedule_id), slot.starts_at, slot.ends_at)
            for slot in slots
            if date_from <= slot.starts_at.astimezone(WARSAW).date() <= date_to
        ]
        if kept:
            here[str(employee_id)] = kept
    there = {held.doctor_id: held for held in summary.slots}
    known = {
        str(employee.pk): employee
        for employee in Employee.objects.filter(pk__in=[int(i) for i in {*here, *there} if i.isdigit()])
    }
    found = []
    for doctor_id in sorted({*here, *there}):
        slots, held = here.get(doctor_id, []), there.get(doctor_id)
        count = held.count if held else 0
        if held and slots and held.fingerprint == interface.slots_fingerprint(slots):
            continue
        employee = known.get(doctor_id)
        if employee is None:
            text = format_lazy(
                _(
                    "Wolne terminy lekarza o identyfikatorze {id}, którego nie ma w Poradni: w OSOZ {count}. Nie "
                    "naprawiono automatycznie: usuń je w Serwisie Świadczeniodawcy OSOZ."
                ),
                id=doctor_id,
                count=count,
            )
            found.append(Difference(OutboxKind.SLOTS, text))
            continue
        if outbox_key(OutboxKind.SLOTS, employee.pk) in skip:
            continue
        if count == len(slots):
            text = format_lazy(
                _("Wolne terminy lekarza {employee}: w OSOZ i w Poradni po {count}, ale w innych godzinach."),
                employee=employee,
                count=count,
            )
        else:
            text = format_lazy(
                _("Wolne terminy lekarza {employee}: w OSOZ {there}, w Poradni {here}."),
                employee=employee,
                there=count,
                here=len(slots),
            )
        found.append(Difference(OutboxKind.SLOTS, text, employee.pk))
    return found


def _booking_state(status: str, starts_at: datetime) -> Promise:
    return format_lazy(
        _("„{state}” na {starts_at}"), state=OsozBookingState(status).label, starts_at=datetime_pl(starts_at)
    )


def _booking_differences(listed: interface.BookingSummaryList, skip: set[str], now: datetime) -> list[Difference]:
    """Each booking OSOZ lists against what OSOZ was last told of it; corrected in the caller's transaction."""
    by_id = {held.booking_id: held for held in listed.bookings}
    known = {
        str(booking.booking_id): booking
        for booking in OsozBooking.objects.filter(booking_id__in=list(by_id)).select_related(
            "appointment__patient", "appointment__employee"
        )
    }
    found = []
    for booking_id, held in by_id.items():
        booking = known.get(booking_id)
        what = format_lazy(
            _("na {starts_at} (rezerwacja {booking_id})"), starts_at=datetime_pl(held.starts), booking_id=booking_id
        )
        if booking is None:
            if held.created < now - FEED_GRACE:
                text = format_lazy(
                    _("Wizyta {what}: jest w OSOZ, ale nie dotarła do Poradni ze strumienia zdarzeń."), what=what
                )
                found.append(Difference(OutboxKind.BOOKING, text))
            continue
        if outbox_key(OutboxKind.BOOKING, booking.pk) in skip:
            continue
        if (held.status, held.starts) == (booking.osoz_state, booking.osoz_starts_at):
            continue
        there = _booking_state(held.status, held.starts)
        if held.status == OsozBookingState.CANCELLED_BY_PATIENT:
            if booking.state != OsozBookingState.CANCELLED_BY_PATIENT:
                text = format_lazy(
                    _(
                        "Wizyta {what}: pacjent odwołał ją w OSOZ; odwołanie dotrze do kalendarza ze strumienia "
                        "zdarzeń (wygrywa OSOZ)."
                    ),
                    what=what,
                )
                found.append(Difference(OutboxKind.BOOKING, text))
            continue
        here = _booking_state(
            booking.state, booking.appointment.starts_at if booking.appointment else booking.starts_at
        )
        if bookings_out.booking_osoz_correct(booking, status=held.status, starts_at=held.starts):
            text = format_lazy(
                _("Wizyta {what}: w OSOZ {there}, w Poradni {here}; Poradnia wyśle do OSOZ swój stan."),
                what=what,
                there=there,
                here=here,
            )
            found.append(Difference(OutboxKind.BOOKING, text, booking.pk))
        else:
            text = format_lazy(
                _(
                    "Wizyta {what}: w OSOZ {there}, w Poradni {here}. OSOZ nie przyjmie polecenia, które to zmieni: "
                    "wyjaśnij to z pacjentem."
                ),
                what=what,
                there=there,
                here=here,
            )
            found.append(Difference(OutboxKind.BOOKING, text))
    return found


def _claim(now: datetime) -> ReconciliationRun | None:
    """A new run, unless another is under way: the connection's row is the lock of the check and the insert."""
    with transaction.atomic():
        Connection.objects.select_for_update().filter(pk=Connection.SINGLETON_ID).first()
        running = ReconciliationRun.objects.filter(finished_at=None)
        if running.filter(started_at__gt=now - STALE_RUN).exists():
            return None
        running.update(finished_at=now, error=clinic_text(_("Przerwane: proces w tle zatrzymał się w trakcie.")))
        ReconciliationRun.objects.filter(started_at__lt=now - RUNS_KEPT).delete()
        return ReconciliationRun.objects.create(started_at=now)


def _in_flight(started: datetime) -> set[str]:
    """The outbox rows on their way to OSOZ, or sent after it answered: their resources are not compared."""
    rows = OutboxMessage.objects.filter(Q(version__gt=F("sent_version")) | Q(sent_at__gte=started))
    return set(rows.values_list("key", flat=True))


def reconciliation_run(*, actor=None, request: HttpRequest | None = None) -> ReconciliationRun | None:
    """Compare OSOZ with the product and raise the outbox rows that repair the differences; the run is stored and
    audited. None when the integration is off or another run is under way. A run that cannot reach OSOZ records why
    and changes nothing."""
    connection = connection_get()
    if not connection.is_active:
        return None
    started = timezone.now()
    run = _claim(started)
    if run is None:
        return None
    date_from, date_to = slots_range(started)
    try:
        with connection_client(connection) as client:
            summary = client.publication_summary(date_from=date_from.isoformat(), date_to=date_to.isoformat())
            listed = client.bookings_list(starts_from=timezone.localdate(started).isoformat())
    except OsozError as error:
        monitor.connection_exchange_record(error=error.message, unreachable=monitor.error_is_outage(error))
        ReconciliationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), error=clinic_text(error.message))
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_reconciliation_failed",
            message=format_lazy(
                _("Nie udało się uzgodnić danych z OSOZ: {error}. Niczego nie zmieniono."),
                error=phrase_lazy(error.message),
            ),
            actor=actor,
            request=request,
            outcome=AuditOutcome.FAILURE,
        )
        run.refresh_from_db()
        return run
    monitor.connection_exchange_record()
    try:
        return _repair(run, summary, listed, actor=actor, request=request)
    except Exception:
        failed = clinic_text(_("Przerwane przez błąd Poradni; szczegóły w dzienniku aplikacji."))
        ReconciliationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), error=failed)
        raise


def _repair(
    run: ReconciliationRun,
    summary: interface.PublicationSummary,
    listed: interface.BookingSummaryList,
    *,
    actor,
    request: HttpRequest | None,
) -> ReconciliationRun:
    """Compare, raise the outbox rows of the differences and record the run, in one transaction."""
    started = run.started_at
    with transaction.atomic():
        skip = _in_flight(started)
        differences = [
            *_location_differences(summary, skip),
            *_doctor_differences(summary, skip),
            *_schedule_differences(summary, skip),
            *_slots_differences(summary, skip, started),
            *_booking_differences(listed, skip, started),
        ]
        due: dict[str, list[int]] = {}
        for difference in differences:
            if difference.repairable and difference.kind != OutboxKind.BOOKING:  # bookings are raised as corrected
                due.setdefault(difference.kind, []).append(difference.object_id)
        for kind, object_ids in due.items():
            outbox.outbox_upsert(kind=kind, object_ids=object_ids, now=timezone.now())
        run.finished_at = timezone.now()
        run.found = len(differences)
        run.repaired = sum(difference.repairable for difference in differences)
        run.differences = [
            {"kind": difference.kind, "text": clinic_text(difference.text), "repaired": difference.repairable}
            for difference in differences
        ]
        run.save(update_fields=["finished_at", "found", "repaired", "differences"])
        # A periodic run that found nothing is on Stan integracji only: 96 a day would bury the audit trail.
        if differences or actor is not None:
            audit_record(
                category=AuditCategory.INTEGRATION,
                action="osoz_reconciled",
                message=format_lazy(
                    _("Uzgodniono dane z OSOZ: różnic {found}, przekazanych do naprawy {repaired}."),
                    found=run.found,
                    repaired=run.repaired,
                ),
                actor=actor,
                request=request,
            )
        if run.repaired:
            transaction.on_commit(outbox.outbox_drain_request)
    if differences:
        logger.info("OSOZ reconciliation: %d differences, %d repaired", run.found, run.repaired)
    return run


def reconciliation_next(last: ReconciliationRun | None) -> datetime | None:
    """When the beat starts the next run: OSOZ_RECONCILIATION_MINUTES after the last one started."""
    if last is None:
        return None
    return last.started_at + timedelta(minutes=settings.OSOZ_RECONCILIATION_MINUTES)
