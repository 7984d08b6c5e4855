"""„Pobierz płatników z OSOZ” (OSZ-9, manual §11.1): the administrator's request is audited and returns at once; a
worker asks OSOZ for the insurers the clinic cooperates with (GET /api/v1/payers, contract 1.3.0) and hands them to
the payers app, which adds, updates and removes its OSOZ payers to match and audits the counts. When OSOZ cannot be
reached nothing changes, the failure is audited, and the administrator asks again."""

from django.db import transaction
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.models import AuditCategory, AuditOutcome
from core.services import audit_record, task_request
from osoz_integration import monitor, tasks
from osoz_integration.client import OsozError
from osoz_integration.models import Connection
from osoz_integration.selectors import connection_client, connection_get
from payers.interface import OsozPayer
from payers.services import payers_osoz_apply


def payers_fetch_refusal(connection: Connection | None = None) -> Promise | None:
    """Why the payers cannot be fetched now, or None: the one rule the button, the request and the worker follow."""
    connection = connection or connection_get()
    if not connection.has_credentials:
        return _(
            "Placówka nie jest połączona z OSOZ: uruchom „Kreator konfiguracji systemu OSOZ” w Ustawienia › OSOZ/LBK."
        )
    if not connection.enabled:
        return _("Integracja z OSOZ jest wyłączona: włącz ją w Ustawienia › OSOZ/LBK.")
    return None


@transaction.atomic
def payers_fetch_request(*, actor, request: HttpRequest | None = None) -> None:
    """Audit the request and queue the fetch once it is committed; requests made while one waits are one fetch."""
    connection = connection_get()
    refusal = payers_fetch_refusal(connection)
    if refusal is not None:
        raise DomainError(format_lazy(_("Nie można pobrać płatników z OSOZ. {reason}"), reason=refusal), code="off")
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_payers_requested",
        message=_("Wysłano żądanie aktualizacji listy płatników do systemu OSOZ."),
        actor=actor,
        request=request,
        target=connection,
    )
    transaction.on_commit(lambda: task_request(tasks.payers_fetch))


def payers_fetch() -> bool:
    """Ask OSOZ for the payers and apply them. False when nothing was applied; the failure is audited."""
    connection = connection_get()
    error = payers_fetch_refusal(connection)
    if error is None:
        error = _payers_fetched(connection)
    if error is None:
        return True
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_payers_failed",
        message=format_lazy(
            _(
                "Nie udało się pobrać listy płatników z OSOZ: {error} Lista płatników w Poradni nie zmieniła się; "
                "spróbuj ponownie („Pobierz płatników z OSOZ”)."
            ),
            error=error,
        ),
        target=connection,
        outcome=AuditOutcome.FAILURE,
    )
    return False


def _payers_fetched(connection: Connection) -> str | Promise | None:
    """Fetch OSOZ's list and apply it; why that failed, or None. The payers app audits what it applied."""
    try:
        with connection_client(connection) as client:
            listed = client.payers_list()
    except OsozError as failure:
        monitor.connection_exchange_record(error=failure.message, unreachable=monitor.error_is_outage(failure))
        return failure.message
    monitor.connection_exchange_record()
    try:
        payers_osoz_apply(
            payers=[OsozPayer(osoz_id=payer.payer_id, name=payer.name, nip=payer.nip) for payer in listed.payers]
        )
    except DomainError as refused:
        # OSOZ listed a payer the payers app cannot take: all or nothing, so nothing was applied.
        return refused.message
    return None
