"""Reads of the OSOZ integration: the connection row, a client built from it, and the status that Ustawienia >
OSOZ/LBK shows (OSZ-10: last success, backlog, recent errors)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, Min, OuterRef, QuerySet

from clinic.models import EmployeeCell
from core.crypto import secret_decrypt
from core.models import AuditCategory, AuditEvent, AuditOutcome
from osoz_integration.client import OsozClient
from osoz_integration.models import Connection, OutboxMessage
from scheduling.models import Schedule

RECENT_ERRORS = 5


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


@dataclass(frozen=True)
class ConnectionStatus:
    connection: Connection
    backlog: int
    oldest_change: datetime | None
    parked: int
    recent_errors: list[AuditEvent]


def connection_status() -> ConnectionStatus:
    connection = connection_get()
    pending = outbox_pending()
    return ConnectionStatus(
        connection=connection,
        backlog=pending.count(),
        oldest_change=pending.aggregate(oldest=Min("changed_at"))["oldest"],
        parked=pending.filter(next_attempt_at__isnull=True).count(),
        recent_errors=list(
            AuditEvent.objects.filter(category=AuditCategory.INTEGRATION, outcome=AuditOutcome.FAILURE)[:RECENT_ERRORS]
        ),
    )


def published_schedules(*, employee_id: int) -> QuerySet[Schedule]:
    """SCH-2: schedules with "Rejestracja on-line (OSOZ)" of an OSOZ-enabled employee, in a cell passed to OSOZ."""
    published_cell = EmployeeCell.objects.filter(
        employee_id=OuterRef("employee_id"), cell_id=OuterRef("cell_id"), osoz_published=True
    )
    return Schedule.objects.filter(
        employee_id=employee_id, osoz_online=True, employee__osoz_enabled=True, employee__is_medical=True
    ).filter(Exists(published_cell))
