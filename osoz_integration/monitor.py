"""The connection monitor (OSZ-10): administrators are told by e-mail (and by a banner on every page) when OSOZ has
been unreachable for longer than Ustawienia > OSOZ/LBK allows, and told again when it answers.

`connection_exchange_record` marks where an outage starts and ends; the beat task `connection_monitor`
calls `outage_alert` every minute. Each notice is claimed with a conditional update, so several workers and beats
send it once."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import AuditCategory, AuditOutcome
from core.services import audit_record
from core.text import clinic_text
from core.time import datetime_pl
from osoz_integration.client import OsozError, OsozPermanentError
from osoz_integration.models import Connection
from osoz_integration.selectors import connection_administrators, connection_get, outbox_pending

logger = logging.getLogger(__name__)

# A refusal with these statuses means the credentials no longer work: OSOZ answers, but nothing gets through.
CREDENTIALS_REFUSED = {401, 403}


def error_is_outage(error: OsozError) -> bool:
    """Whether a failed call counts towards an outage: the network, timeouts, 429/5xx and refused credentials do;
    OSOZ refusing one document (another 4xx) does not, it answered."""
    return not isinstance(error, OsozPermanentError) or error.status in CREDENTIALS_REFUSED


def _duration(delta: timedelta) -> Promise:
    minutes = max(int(delta.total_seconds()) // 60, 0)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return format_lazy(gettext_lazy("{hours} godz. {minutes} min"), hours=hours, minutes=minutes)
    return format_lazy(gettext_lazy("{minutes} min"), minutes=minutes)


def _send(*, subject: str, body: str, recipients: list) -> None:
    """One e-mail per administrator (no one sees the others' addresses). A mail server that is down must not fail
    the exchange that noticed the change, so the failure is logged and audited instead."""
    messages = [EmailMessage(subject=subject, body=body, to=[user.email]) for user in recipients]
    try:
        get_connection().send_messages(messages)
    except OSError as error:  # smtplib.SMTPException is an OSError
        logger.exception("Connection monitor e-mail not sent")
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_monitor_mail_failed",
            message=format_lazy(
                gettext_lazy("Nie udało się wysłać administratorom e-maila „{subject}”: {error}."),
                subject=subject,
                error=error,
            ),
            outcome=AuditOutcome.FAILURE,
        )


def _recipients_phrase(recipients: list) -> Promise:
    if not recipients:
        return gettext_lazy("Nie wysłano e-maili: żaden aktywny administrator nie ma adresu e-mail.")
    return format_lazy(
        gettext_lazy("Powiadomiono e-mailem: {recipients}."),
        recipients=", ".join(user.audit_label for user in recipients),
    )


def outage_alert(*, now: datetime | None = None) -> bool:
    """Tell the administrators, once per outage, that OSOZ has been unreachable for at least the configured number
    of minutes. True when this call sent the notice."""
    now = now or timezone.now()
    connection = connection_get()
    since = connection.outage_since
    if not connection.is_active or since is None or connection.outage_alerted_at is not None:
        return False
    if now - since < timedelta(minutes=connection.outage_alert_minutes):
        return False
    with transaction.atomic():
        claimed = Connection.objects.filter(
            pk=Connection.SINGLETON_ID, outage_since=since, outage_alerted_at__isnull=True
        ).update(outage_alerted_at=now)
        if not claimed:
            return False
        recipients = list(connection_administrators())
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_outage_alerted",
            message=format_lazy(
                gettext_lazy("Brak połączenia z OSOZ od {since} ({duration}); ostatni błąd: {error} {recipients}"),
                since=datetime_pl(since),
                duration=_duration(now - since),
                error=connection.last_error or gettext_lazy("(brak opisu)"),
                recipients=_recipients_phrase(recipients),
            ),
            target=connection,
            outcome=AuditOutcome.FAILURE,
        )
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Poradnia: brak połączenia z OSOZ")
            body = _(
                "Poradnia nie może połączyć się z platformą OSOZ od %(since)s (%(duration)s).\n\n"
                "Ostatni błąd: %(error)s\n\n"
                "Rezerwacje online mogą docierać z opóźnieniem. Zmiany czekające na wysłanie do OSOZ (%(backlog)d) "
                "nie zginą: zostaną wysłane, gdy OSOZ znów odpowie. Napiszemy ponownie, gdy połączenie wróci.\n\n"
                "Szczegóły: Ustawienia > OSOZ/LBK > Stan integracji."
            ) % {
                "since": datetime_pl(since),
                "duration": _duration(now - since),
                "error": connection.last_error or "–",
                "backlog": outbox_pending().count(),
            }
        transaction.on_commit(lambda: _send(subject=subject, body=body, recipients=recipients))
    return True


def outage_end_record(*, now: datetime) -> None:
    """A success after an outage the administrators were told of: end it, audit it and tell them it is over.
    Called by `connection_exchange_record`; of concurrent successes, one ends the outage and sends the notice."""
    rows = Connection.objects.filter(pk=Connection.SINGLETON_ID)
    alerted = rows.filter(outage_alerted_at__isnull=False).values_list("outage_since", "outage_alerted_at").first()
    with transaction.atomic():
        claimed = alerted is not None and rows.filter(outage_alerted_at=alerted[1]).update(
            last_success_at=now, outage_since=None, outage_alerted_at=None
        )
        if not claimed:
            rows.update(last_success_at=now, outage_since=None)
            return
        since = alerted[0] or alerted[1]
        recipients = list(connection_administrators())
        audit_record(
            category=AuditCategory.INTEGRATION,
            action="osoz_outage_ended",
            message=format_lazy(
                gettext_lazy("Połączenie z OSOZ przywrócone {now} po przerwie od {since} ({duration}). {recipients}"),
                now=datetime_pl(now),
                since=datetime_pl(since),
                duration=_duration(now - since),
                recipients=_recipients_phrase(recipients),
            ),
            target=connection_get(),
        )
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Poradnia: połączenie z OSOZ przywrócone")
            body = _(
                "Połączenie z platformą OSOZ działa ponownie od %(now)s. "
                "Przerwa trwała od %(since)s (%(duration)s).\n\n"
                "Zaległe zmiany są wysyłane do OSOZ, a rezerwacje online pobierane automatycznie.\n\n"
                "Szczegóły: Ustawienia > OSOZ/LBK > Stan integracji."
            ) % {"now": datetime_pl(now), "since": datetime_pl(since), "duration": _duration(now - since)}
        transaction.on_commit(lambda: _send(subject=subject, body=body, recipients=recipients))


@transaction.atomic
def outage_alert_minutes_set(*, minutes: int, actor=None, request: HttpRequest | None = None) -> Connection:
    """Ustawienia > OSOZ/LBK: after how many minutes without a connection administrators are told."""
    connection_get()
    connection = Connection.objects.select_for_update().get(pk=Connection.SINGLETON_ID)
    if connection.outage_alert_minutes == minutes:
        return connection
    previous = connection.outage_alert_minutes
    connection.outage_alert_minutes = minutes
    connection.save(update_fields=["outage_alert_minutes"])
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action="osoz_outage_alert_minutes_changed",
        message=format_lazy(
            gettext_lazy(
                "Zmieniono czas braku połączenia z OSOZ, po którym administratorzy dostają powiadomienie: "
                "{previous} → {minutes} min."
            ),
            previous=previous,
            minutes=minutes,
        ),
        actor=actor,
        request=request,
        target=connection,
    )
    return connection


def connection_exchange_record(
    *, error: str | Promise = "", unreachable: bool = True, now: datetime | None = None
) -> None:
    """The connection monitor's data (OSZ-10): when OSOZ last answered, or what failed last and when (the error stored
    in the clinic's language, whatever the request's).

    The first failure after a success starts an outage (`outage_since`), unless the caller says OSOZ answered and
    only refused this one request (`unreachable=False`); a success ends it, and if administrators were told of the
    outage they are told it is over. Both are single conditional updates, so concurrent workers agree on one
    outage and one "back" notice."""
    now = now or timezone.now()
    rows = Connection.objects.filter(pk=Connection.SINGLETON_ID)
    if error:
        changes = {"last_error": clinic_text(error), "last_error_at": now}
        if unreachable:
            # A failure older than the last success (a slow request finishing late) does not start an outage.
            starts = Q(outage_since__isnull=True) & (Q(last_success_at__isnull=True) | Q(last_success_at__lte=now))
            changes["outage_since"] = Case(
                When(starts, then=Value(now, output_field=DateTimeField())), default=F("outage_since")
            )
        rows.update(**changes)
    elif not rows.filter(outage_alerted_at__isnull=True).update(last_success_at=now, outage_since=None):
        outage_end_record(now=now)
