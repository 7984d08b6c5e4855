"""The outbox of messages to OSOZ (OSZ-3, OSZ-8): rows written in the transaction of the change, delivered by
workers.

Each resource has one row ("slots:12", "booking:41") whose version `outbox_upsert` raises in the caller's
transaction, so a burst of changes leaves one pending message. A drain claims due rows with a conditional update and a
lease (a worker that died mid-send gives the row back when the lease runs out), has the builder of the row's kind
make the message from the database at send time (a snapshot, never a stored payload), sends it with the row's version
and marks that version sent. A change that lands during the send raises the version again, so the row is sent once
more afterwards; OSOZ answers an old or repeated version harmlessly. Nothing is lost while OSOZ or the worker is
down: the rows wait, with backoff, until a drain gets through. A row OSOZ refuses for good is parked until the
resource changes again or an administrator sends it again or skips it (Stan integracji), so nothing waits for ever.
"""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

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
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.models import AuditCategory, AuditOutcome
from core.services import audit_record, task_request
from core.text import clinic_text
from osoz_integration import monitor, tasks
from osoz_integration.client import OsozClient, OsozPermanentError, OsozTransientError
from osoz_integration.models import KIND_PRIORITY, OutboxKind, OutboxMessage, outbox_key
from osoz_integration.selectors import connection_client, connection_get, outbox_refused_rows
from osoz_integration.texts import phrase_lazy

# How long a drain holds a claimed row; a worker that died mid-send gives it back when this runs out.
CLAIM_LEASE = timedelta(minutes=2)
DRAIN_BATCH = 200


class OutboxDocument(Protocol):
    """What a builder makes of a row at send time: all the delivery uses of it. publication.Document (what OSOZ
    shows) and bookings_out.BookingCommand (what OSOZ must be told about a booking) bring their own words."""

    visible: bool  # whether OSOZ shows the resource once this is sent
    target: models.Model  # what the audit entry is about
    action: str  # the audit action of a success
    failed_action: str  # and of a failure
    failed: Promise  # what it sends, genitive: "Nie udało się wysłać <failed>"

    @property
    def sends(self) -> bool:
        """False when OSOZ already knows everything the row was about."""

    def send(self, client: OsozClient) -> bool:
        """Send it; True when OSOZ applied it. Raises OsozTransientError or OsozPermanentError."""

    def sent_record(self) -> None:
        """Record what OSOZ now knows, in the transaction that marks the row sent."""

    # The audit texts, lazy: the error is OSOZ's or the client's message without its closing full stop.
    def sent_text(self, applied: bool) -> Promise: ...

    def retry_text(self, error: str | Promise, at: str) -> Promise: ...

    def refused_text(self, error: str | Promise) -> Promise: ...


# The builder of each kind of row, (object id, version) → OutboxDocument, named by dotted path and imported on first
# use: the builders build on this module.
BUILDERS: dict[str, str] = {
    OutboxKind.LOCATION: "osoz_integration.publication.location_document",
    OutboxKind.DOCTOR: "osoz_integration.publication.doctor_document",
    OutboxKind.SCHEDULE: "osoz_integration.publication.schedule_document",
    OutboxKind.SLOTS: "osoz_integration.publication.slots_document",
    OutboxKind.BOOKING: "osoz_integration.bookings_out.booking_command",
    OutboxKind.PRICE_LISTS: "osoz_integration.pricelists_out.pricelists_document",
    OutboxKind.REFERRALS: "osoz_integration.referrals_out.referrals_document",
}


def builder_of(kind: str) -> Callable[[int, int], OutboxDocument]:
    return import_string(BUILDERS[kind])


# --- Writing (inside the caller's transaction) ---------------------------------------------------------------------


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
        # Rows locked in key order, like every other writer's, before the update: no deadlock between transactions
        # that raise overlapping sets of rows.
        existing = set(
            OutboxMessage.objects.filter(key__in=keys).order_by("key").select_for_update().values_list("key", flat=True)
        )
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
                    for key, object_id in sorted(keys.items())
                )
            return
        except IntegrityError:
            # A concurrent transaction created one of the rows first: the next round raises its version.
            continue


def outbox_drain_request() -> None:
    """Ask a worker to drain now, unless a drain is already waiting to start: one drain delivers every row due, so a
    burst of changes needs one. If the broker is unreachable the rows simply wait for the beat's next drain."""
    task_request(tasks.outbox_drain)


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


def _audit(document: OutboxDocument, message: Promise, outcome: AuditOutcome = AuditOutcome.SUCCESS) -> None:
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
    document = builder_of(message.kind)(message.object_id, version)
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
        rows.update(
            attempts=attempts, next_attempt_at=retry_at, last_error=clinic_text(error.message), claimed_until=None
        )
        monitor.connection_exchange_record(error=error.message, now=now)
        at = timezone.localtime(retry_at).strftime("%H:%M")
        _audit(document, document.retry_text(phrase_lazy(error.message), at), AuditOutcome.FAILURE)
        raise _Unreachable from error
    except OsozPermanentError as error:
        # Repeating the same document cannot help; the next change of the resource sends a new one.
        rows.update(
            attempts=message.attempts + 1,
            next_attempt_at=None,
            last_error=clinic_text(error.message),
            claimed_until=None,
        )
        monitor.connection_exchange_record(error=error.message, unreachable=monitor.error_is_outage(error), now=now)
        _audit(document, document.refused_text(phrase_lazy(error.message)), AuditOutcome.FAILURE)
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


# --- Refused rows: the administrator's decision (Stan integracji) --------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A row OSOZ refused for good, as Stan integracji lists it: what OSOZ said is its `last_error`."""

    message: OutboxMessage
    failed: Promise  # what it would send, genitive (OutboxDocument.failed)


def outbox_refused() -> list[Refused]:
    """The rows OSOZ refused for good, oldest change first, each described by its builder. They keep the integration
    from being switched off until they change again or an administrator decides (`outbox_resend`, `outbox_skip`)."""
    return [
        Refused(message=message, failed=builder_of(message.kind)(message.object_id, message.version).failed)
        for message in outbox_refused_rows().order_by("changed_at", "pk")
    ]


def _refused_take(pk: int) -> tuple[OutboxMessage, OutboxDocument] | None:
    """The row, locked for the caller's transaction, while it is still refused (an administrator's second click, or
    another's, or a change of the resource meanwhile, finds nothing) and its document."""
    message = outbox_refused_rows().select_for_update().filter(pk=pk).first()
    if message is None:
        return None
    return message, builder_of(message.kind)(message.object_id, message.version)


def outbox_resend(*, pk: int, actor, request: HttpRequest | None = None) -> bool:
    """Stan integracji, "Wyślij ponownie": send a refused row again at once, under a new version — a new
    Idempotency-Key, as OSOZ replays its refusal to the old one. False when the row is no longer refused."""
    with transaction.atomic():
        taken = _refused_take(pk)
        if taken is None:
            return False
        message, document = taken
        outbox_upsert(kind=message.kind, object_ids=[message.object_id], now=timezone.now())
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_outbox_resent",
            message=format_lazy(
                _("Zlecono ponowne wysłanie do OSOZ {failed}. Wcześniej OSOZ odpowiedział: {error}."),
                failed=document.failed,
                error=phrase_lazy(message.last_error),
            ),
            actor=actor,
            request=request,
            target=document.target,
        )
        transaction.on_commit(outbox_drain_request)
    return True


def outbox_skip(*, pk: int, actor, request: HttpRequest | None = None) -> bool:
    """Stan integracji, "Pomiń": give up a refused row; OSOZ keeps what it holds, and the next change of the resource
    is sent as usual. False when the row is no longer refused."""
    with transaction.atomic():
        taken = _refused_take(pk)
        if taken is None:
            return False
        message, document = taken
        OutboxMessage.objects.filter(pk=message.pk).update(sent_version=F("version"), attempts=0, last_error="")
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_outbox_skipped",
            message=format_lazy(
                _(
                    "Pominięto wysłanie do OSOZ {failed}; w OSOZ nic się nie zmieniło. Wcześniej OSOZ odpowiedział: "
                    "{error}."
                ),
                failed=document.failed,
                error=phrase_lazy(message.last_error),
            ),
            actor=actor,
            request=request,
            target=document.target,
        )
    return True
