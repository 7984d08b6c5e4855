"""Reads of the OSOZ integration: the connection row, a client built from it, and the status that Ustawienia >
OSOZ/LBK and its "Stan integracji" page show (OSZ-10: last success, outage, backlog, pull lag, recent errors)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Case, Count, F, Max, Min, Q, QuerySet, TextField, Value, When
from django.utils import timezone

from core.crypto import secret_decrypt
from core.models import AuditCategory, AuditEvent, AuditOutcome
from core.time import WARSAW
from osoz_integration.client import OsozClient
from osoz_integration.models import (
    Connection,
    InboundEvent,
    InboundEventSource,
    OsozBooking,
    OsozBookingState,
    OutboxMessage,
    ReconciliationRun,
)

RECENT_ERRORS = 5
# The booking rules refusing a booking: the integration at work, not an error of it (the status counts them apart).
BOOKING_REFUSED = "osoz_booking_rejected"


def connection_get() -> Connection:
    """The connection's single row; made on first use, pointing at OSOZ_BASE_URL."""
    connection, _ = Connection.objects.get_or_create(pk=Connection.SINGLETON_ID)
    return connection


def connection_client(connection: Connection) -> OsozClient:
    """A client with the stored credentials, decrypted only for the life of the client."""
    secret = secret_decrypt(connection.client_secret_encrypted).decode() if connection.has_credentials else ""
    return OsozClient(base_url=connection.base_url, client_id=connection.client_id, client_secret=secret)


def outbox_pending() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(version__gt=F("sent_version"))


def outbox_refused_rows() -> QuerySet[OutboxMessage]:
    """Pending rows OSOZ refused for good: parked until the resource changes or an administrator decides."""
    return outbox_pending().filter(next_attempt_at__isnull=True)


@dataclass(frozen=True)
class BookingCounts:
    """Bookings received from OSOZ on one day: all of them, those that became appointments, those refused."""

    received: int
    accepted: int
    rejected: int


@dataclass(frozen=True)
class RecentError:
    """Failures of one kind about one object (or, about none, in the same words): the retries of one document during
    an outage make one line, with the newest message, how many there were and since when."""

    message: str
    occurred_at: datetime
    first_at: datetime
    count: int


@dataclass(frozen=True)
class ConnectionStatus:
    connection: Connection
    now: datetime
    backlog: int
    oldest_change: datetime | None
    parked: int
    recent_errors: list[RecentError]
    # The booking events feed: when the last pull got through, and when it last brought an event it had not seen.
    last_feed_event_at: datetime | None
    bookings_today: BookingCounts

    @property
    def pull_late(self) -> bool:
        """With the integration on, no pull of the bookings feed got through for longer than the outage alert
        threshold (or none ever did)."""
        last = self.connection.last_pull_at
        limit = timedelta(minutes=self.connection.outage_alert_minutes)
        return self.connection.is_active and (last is None or self.now - last > limit)

    @property
    def osoz_unreachable(self) -> bool:
        """OSOZ does not answer the tries the worker keeps making (the last one within the alert threshold): it is
        OSOZ, not the worker, that keeps the bookings from coming."""
        connection = self.connection
        limit = timedelta(minutes=connection.outage_alert_minutes)
        tried = connection.last_error_at
        return connection.outage_since is not None and tried is not None and self.now - tried <= limit


def bookings_received(*, day_start: datetime, day_end: datetime) -> BookingCounts:
    counts = OsozBooking.objects.filter(received_at__gte=day_start, received_at__lt=day_end).aggregate(
        received=Count("pk"),
        accepted=Count("pk", filter=Q(appointment__isnull=False)),
        rejected=Count("pk", filter=Q(state=OsozBookingState.REJECTED)),
    )
    return BookingCounts(**counts)


def recent_errors(*, limit: int) -> list[RecentError]:
    """The integration's latest failures, one line per failing thing, newest first."""
    failures = AuditEvent.objects.filter(category=AuditCategory.INTEGRATION, outcome=AuditOutcome.FAILURE).exclude(
        action=BOOKING_REFUSED
    )
    groups = list(
        failures.annotate(
            words=Case(When(object_id="", then=F("message")), default=Value(""), output_field=TextField())
        )
        .values("action", "object_type", "object_id", "words")
        .annotate(count=Count("pk"), first_at=Min("occurred_at"), last_at=Max("occurred_at"), last_id=Max("pk"))
        .order_by("-last_at", "-last_id")[:limit]
    )
    latest = AuditEvent.objects.in_bulk([group["last_id"] for group in groups])
    return [
        RecentError(
            message=latest[group["last_id"]].message,
            occurred_at=group["last_at"],
            first_at=group["first_at"],
            count=group["count"],
        )
        for group in groups
    ]


def connection_status(*, now: datetime | None = None, errors: int = RECENT_ERRORS) -> ConnectionStatus:
    now = now or timezone.now()
    connection = connection_get()
    pending = outbox_pending()
    backlog = pending.aggregate(
        count=Count("pk"), oldest=Min("changed_at"), parked=Count("pk", filter=Q(next_attempt_at__isnull=True))
    )
    day_start = now.astimezone(WARSAW).replace(hour=0, minute=0, second=0, microsecond=0)
    # Wall-clock arithmetic within one zone: the next local midnight, also on the days clocks change.
    day_end = day_start + timedelta(days=1)
    return ConnectionStatus(
        connection=connection,
        now=now,
        backlog=backlog["count"],
        oldest_change=backlog["oldest"],
        parked=backlog["parked"],
        recent_errors=recent_errors(limit=errors),
        last_feed_event_at=InboundEvent.objects.filter(source=InboundEventSource.FEED).aggregate(
            last=Max("received_at")
        )["last"],
        bookings_today=bookings_received(day_start=day_start, day_end=day_end),
    )


def connection_outage_alerted() -> datetime | None:
    """Since when OSOZ has been unreachable, once administrators were told of it and while the integration is on:
    what the banner shows on every page of everyone who works with the calendar."""
    return (
        Connection.objects.filter(pk=Connection.SINGLETON_ID, enabled=True, outage_alerted_at__isnull=False)
        .values_list("outage_since", flat=True)
        .first()
    )


def connection_administrators() -> QuerySet:
    """Active staff who may change the OSOZ connection (the Administrator role) and have an e-mail address: the
    recipients of the connection monitor's e-mails."""
    permission = Permission.objects.filter(content_type__app_label="osoz_integration", codename="change_connection")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def reconciliation_last() -> ReconciliationRun | None:
    """The latest reconciliation with OSOZ, finished or under way (Stan integracji)."""
    return ReconciliationRun.objects.order_by("-started_at", "-pk").first()
