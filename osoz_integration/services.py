"""Writes of Ustawienia > OSOZ/LBK (SET-3): connecting the clinic through the configuration wizard (manual §3.1),
the connection settings, the integration switch, the connection check and the televisit access (§14.2). Publication
itself is in publication.py."""

import hashlib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clinic.models import Location
from clinic.services import clinic_entity_id_set
from core.crypto import secret_encrypt
from core.errors import DomainError
from core.models import AuditCategory, AuditOutcome
from core.services import audit_record
from core.text import join_lazy
from osoz_integration import interface, outbox
from osoz_integration.client import OsozClient, OsozError, OsozTransientError
from osoz_integration.models import Connection, InboundEvent
from osoz_integration.monitor import connection_exchange_record
from osoz_integration.publication import publication_enqueue_all
from osoz_integration.selectors import connection_client, connection_get, outbox_pending

# How many of the rows OSOZ refused the switch's refusal names; Stan integracji lists them all.
REFUSED_NAMED = 3
# A webhook older than five minutes is refused and a feed page is read again within seconds, so event ids this old
# cannot come back; a booking the feed replays after a cursor reset is still recognised by its OSOZ booking id.
INBOUND_EVENT_RETENTION = timedelta(days=2)


def _locked_connection() -> Connection:
    connection_get()
    return Connection.objects.select_for_update().get(pk=Connection.SINGLETON_ID)


@transaction.atomic
def connection_update(
    *,
    base_url: str,
    client_id: str,
    client_secret: str = "",
    webhook_secret: str = "",
    actor=None,
    request: HttpRequest | None = None,
) -> Connection:
    """Change the address or credentials by hand; an empty secret keeps the stored one."""
    connection = _locked_connection()
    phrases = []
    empty = gettext_lazy("(pusty)")
    base_url = base_url.rstrip("/")
    if connection.base_url != base_url:
        phrases.append(
            format_lazy(gettext_lazy("adres platformy: {old} → {new}"), old=connection.base_url or empty, new=base_url)
        )
        connection.base_url = base_url
    if connection.client_id != client_id:
        phrases.append(
            format_lazy(
                gettext_lazy("identyfikator klienta: {old} → {new}"),
                old=connection.client_id or empty,
                new=client_id or empty,
            )
        )
        connection.client_id = client_id
    # The secrets themselves never reach the audit log, only the fact that they changed.
    if client_secret:
        connection.client_secret_encrypted = secret_encrypt(client_secret.encode())
        phrases.append(gettext_lazy("zmieniono sekret klienta"))
    if webhook_secret:
        connection.webhook_secret_encrypted = secret_encrypt(webhook_secret.encode())
        phrases.append(gettext_lazy("zmieniono sekret podpisu powiadomień"))
    connection.save()
    if phrases:
        audit_record(
            category=AuditCategory.CONFIGURATION,
            action="osoz_connection_changed",
            message=format_lazy(
                gettext_lazy("Zmieniono połączenie z OSOZ: {phrases}."), phrases=join_lazy("; ", phrases)
            ),
            actor=actor,
            request=request,
            target=connection,
        )
    return connection


def _exchange_key(code: str) -> str:
    """The same code always gets the same Idempotency-Key, so a repeated callback replays the first answer."""
    return "connect-" + hashlib.sha256(code.encode()).hexdigest()[:48]


def connection_connect(*, code: str, return_url: str, actor=None, request: HttpRequest | None = None) -> Connection:
    """Finish the configuration wizard: exchange the one-time code for the entity id and credentials, store them
    (secrets encrypted), set the clinic's Identyfikator podmiotu, and publish everything if the switch is on."""
    connection = connection_get()
    try:
        with OsozClient(base_url=connection.base_url) as client:
            credentials = client.token_exchange(code=code, return_url=return_url, idempotency_key=_exchange_key(code))
    except OsozError as error:
        connection_exchange_record(error=error.message)
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_connect_failed",
            message=format_lazy(
                gettext_lazy("Nie udało się połączyć placówki z OSOZ kreatorem konfiguracji: {error}"),
                error=error.message,
            ),
            actor=actor,
            request=request,
            target=connection,
            outcome=AuditOutcome.FAILURE,
        )
        raise
    connection = _credentials_store(credentials, actor=actor, request=request)
    if connection.enabled:
        integration_endpoints_send(actor=actor, request=request)
    return connection


@transaction.atomic
def _credentials_store(credentials: interface.ConnectCredentials, *, actor, request: HttpRequest | None) -> Connection:
    connection = _locked_connection()
    now = timezone.now()
    connection.base_url = credentials.api_base_url.rstrip("/")
    connection.client_id = credentials.client_id
    connection.client_secret_encrypted = secret_encrypt(credentials.client_secret.encode())
    connection.webhook_secret_encrypted = secret_encrypt(credentials.webhook_secret.encode())
    connection.entity_name = credentials.entity_name[:200]
    connection.connected_at = now
    connection.last_success_at = now
    # A feed position belongs to the connection that read it; the new one reads OSOZ's retained feed from its start,
    # which is harmless (each booking id is applied once) and misses nothing.
    connection.booking_cursor = ""
    connection.save()
    clinic_entity_id_set(entity_id=credentials.entity_id, actor=actor, request=request)
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_connected",
        message=format_lazy(
            gettext_lazy(
                "Połączono placówkę z OSOZ kreatorem konfiguracji: podmiot „{entity_name}” (identyfikator podmiotu "
                "{entity_id}), identyfikator klienta {client_id}."
            ),
            entity_name=credentials.entity_name,
            entity_id=credentials.entity_id,
            client_id=credentials.client_id,
        ),
        actor=actor,
        request=request,
        target=connection,
    )
    publication_enqueue_all()
    return connection


def _switch_off_check() -> None:
    """STR-5: leaving the integration means doctors, then locations, then the switch, and the withdrawals must
    have reached OSOZ, or OSOZ would keep showing what the clinic no longer offers. What OSOZ refused for good waits
    for an administrator's decision, so it is named rather than waited for."""
    visible = list(Location.objects.filter(osoz_enabled=True).values_list("name", flat=True))
    if visible:
        raise DomainError(
            _(
                "Nie można wyłączyć integracji, dopóki lokalizacje są widoczne w OSOZ: %(locations)s. Najpierw "
                "wyłącz widoczność lekarzy, potem lokalizacji (Struktura)."
            )
            % {"locations": ", ".join(visible)},
            code="locations_visible",
        )
    refused = outbox.outbox_refused()
    if refused:
        named = "; ".join(str(item.failed) for item in refused[:REFUSED_NAMED])
        raise DomainError(
            ngettext(
                "Nie można jeszcze wyłączyć integracji: OSOZ odrzucił %(count)d wiadomość, o której musi zdecydować "
                "administrator (wysłanie %(what)s). Wyślij ją ponownie albo pomiń w Stanie integracji.",
                "Nie można jeszcze wyłączyć integracji: OSOZ odrzucił %(count)d wiadomości, o których musi "
                "zdecydować administrator (wysłanie %(what)s). Wyślij je ponownie albo pomiń w Stanie integracji.",
                len(refused),
            )
            % {"count": len(refused), "what": named + ("; …" if len(refused) > REFUSED_NAMED else "")},
            code="refused_by_osoz",
        )
    backlog = outbox_pending().count()
    if backlog:
        raise DomainError(
            ngettext(
                "Nie można jeszcze wyłączyć integracji: %(count)d zmiana czeka na wysłanie do OSOZ. Spróbuj "
                "ponownie, gdy kolejka będzie pusta.",
                "Nie można jeszcze wyłączyć integracji: %(count)d zmian czeka na wysłanie do OSOZ. Spróbuj "
                "ponownie, gdy kolejka będzie pusta.",
                backlog,
            )
            % {"count": backlog},
            code="backlog",
        )


def connection_switch(*, enabled: bool, actor=None, request: HttpRequest | None = None) -> Connection:
    """The integration switch: on publishes everything OSOZ should show and has OSOZ call Poradnia with bookings;
    off stops both."""
    connection, switched = _switch(enabled=enabled, actor=actor, request=request)
    if switched:
        # After the commit: an HTTP call has no place in the transaction, and OSOZ must see the switch as saved.
        integration_endpoints_send(actor=actor, request=request)
    return connection


@transaction.atomic
def _switch(*, enabled: bool, actor, request: HttpRequest | None) -> tuple[Connection, bool]:
    connection = _locked_connection()
    if connection.enabled == enabled:
        return connection, False
    if enabled and not connection.has_credentials:
        raise DomainError(
            _("Najpierw połącz placówkę z OSOZ: uruchom „Kreator konfiguracji systemu OSOZ”."), code="not_connected"
        )
    if not enabled:
        _switch_off_check()
    connection.enabled = enabled
    connection.save(update_fields=["enabled"])
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_switched_on" if enabled else "osoz_switched_off",
        message=(
            gettext_lazy(
                "Włączono integrację z OSOZ: Poradnia publikuje lokalizacje, lekarzy, harmonogramy i wolne terminy."
            )
            if enabled
            else gettext_lazy("Wyłączono integrację z OSOZ: Poradnia przestała publikować zmiany.")
        ),
        actor=actor,
        request=request,
        target=connection,
    )
    if enabled:
        publication_enqueue_all()
    return connection, True


def integration_endpoints_send(*, actor=None, request: HttpRequest | None = None) -> bool:
    """Tell OSOZ where Poradnia receives the booking nudge and the booking approval (PUT /api/v1/integration) while
    the integration is on, and that it receives nothing while it is off. False when OSOZ could not be told; the
    bookings then still arrive through the periodic pull of the events feed."""
    connection = connection_get()
    if not connection.has_credentials:
        return False
    base = settings.OSOZ_CALLBACK_BASE_URL
    receiving = connection.enabled
    endpoints = interface.IntegrationEndpoints(
        version=int(timezone.now().timestamp() * 1_000_000),
        webhook_url=base + reverse("osoz_booking_events") if receiving else None,
        booking_approval_url=base + reverse("osoz_booking_approval") if receiving else None,
    )
    try:
        with connection_client(connection) as client:
            client.integration_put(endpoints)
    except OsozError as error:
        connection_exchange_record(error=error.message)
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_endpoints_failed",
            message=format_lazy(
                gettext_lazy(
                    "Nie udało się przekazać OSOZ adresów, pod którymi Poradnia przyjmuje rezerwacje: {error} "
                    "Rezerwacje będą pobierane co kilka sekund; aby OSOZ powiadamiał Poradnię od razu, wyłącz i "
                    "włącz integrację ponownie."
                ),
                error=error.message,
            ),
            actor=actor,
            request=request,
            target=connection,
            outcome=AuditOutcome.FAILURE,
        )
        return False
    connection_exchange_record()
    message = (
        format_lazy(
            gettext_lazy(
                "Przekazano OSOZ adresy Poradni: zatwierdzanie rezerwacji {approval_url}, powiadomienia o nowych "
                "rezerwacjach {webhook_url}."
            ),
            approval_url=endpoints.booking_approval_url,
            webhook_url=endpoints.webhook_url,
        )
        if receiving
        else gettext_lazy("Poinformowano OSOZ, że Poradnia nie przyjmuje już powiadomień o rezerwacjach.")
    )
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_endpoints_set",
        message=message,
        actor=actor,
        request=request,
        target=connection,
    )
    return True


def connection_check(*, actor=None, request: HttpRequest | None = None) -> interface.Entity:
    """Ask OSOZ for the connected entity: proves the address and the credentials work (OSZ-10)."""
    connection = connection_get()
    try:
        with connection_client(connection) as client:
            entity = client.entity_get()
    except OsozError as error:
        connection_exchange_record(error=error.message)
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_check_failed",
            message=format_lazy(
                gettext_lazy("Sprawdzenie połączenia z OSOZ nie powiodło się: {error}"), error=error.message
            ),
            actor=actor,
            request=request,
            target=connection,
            outcome=AuditOutcome.FAILURE,
        )
        raise
    connection_exchange_record()
    audit_record(
        category=AuditCategory.INTEGRATION,
        action="osoz_checked",
        message=format_lazy(
            gettext_lazy("Sprawdzono połączenie z OSOZ: odpowiada podmiot „{entity_name}” ({entity_id})."),
            entity_name=entity.entity_name,
            entity_id=entity.entity_id,
        ),
        actor=actor,
        request=request,
        target=connection,
    )
    return entity


def inbound_events_prune(*, now: datetime | None = None) -> int:
    """Forget the ids of events received from OSOZ once they are too old to be delivered again."""
    now = now or timezone.now()
    removed, _ = InboundEvent.objects.filter(received_at__lt=now - INBOUND_EVENT_RETENTION).delete()
    return removed


def televisit_access_configure(*, password: str, actor=None, request: HttpRequest | None = None) -> Connection:
    """Konfiguracja dostępu do telewizyty (SET-3, manual §14.2): the Provider Service password, typed once, obtains
    access to the televisit service from OSOZ. Only the token OSOZ grants is kept (encrypted); the password lives in
    this call's memory only and reaches neither the database, the audit nor a log. OSOZ's refusal (the service not
    active, a wrong password) or its absence raises OsozError and changes nothing."""
    connection = connection_get()
    try:
        with connection_client(connection) as client:
            access = client.televisit_access(password=password)
    except OsozError as error:
        unreachable = isinstance(error, OsozTransientError)
        if unreachable:
            connection_exchange_record(error=error.message)
        else:
            connection_exchange_record()  # OSOZ answered; it refused this request only
        audit_record(
            # A refusal (the service not active, a wrong password) is the configuration's, not a connection error
            # for Stan połączenia to list.
            category=AuditCategory.INTEGRATION if unreachable else AuditCategory.CONFIGURATION,
            action="osoz_televisit_access_failed",
            message=format_lazy(
                gettext_lazy("Nie udało się uzyskać dostępu do telewizyty z OSOZ: {error}"), error=error.message
            ),
            actor=actor,
            request=request,
            target=connection,
            outcome=AuditOutcome.FAILURE,
        )
        raise
    connection_exchange_record()
    return _televisit_access_store(access, actor=actor, request=request)


@transaction.atomic
def _televisit_access_store(access: interface.TelevisitAccess, *, actor, request: HttpRequest | None) -> Connection:
    connection = _locked_connection()
    connection.televisit_token_encrypted = secret_encrypt(access.access_token.encode())
    connection.televisit_mode = access.mode
    connection.televisit_active_until = date.fromisoformat(access.active_until)
    connection.televisit_configured_at = timezone.now()
    connection.save(
        update_fields=[
            "televisit_token_encrypted",
            "televisit_mode",
            "televisit_active_until",
            "televisit_configured_at",
        ]
    )
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action="osoz_televisit_access_configured",
        message=format_lazy(
            gettext_lazy(
                "Skonfigurowano dostęp do telewizyty: OSOZ przydzielił dostęp do usługi telewizyty ({mode}) aktywnej "
                "do {until}. Hasło do Serwisu Świadczeniodawcy OSOZ nie zostało zapisane."
            ),
            mode=connection.get_televisit_mode_display(),
            until=connection.televisit_active_until.strftime("%d.%m.%Y"),
        ),
        actor=actor,
        request=request,
        target=connection,
    )
    return connection
