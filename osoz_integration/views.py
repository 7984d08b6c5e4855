"""Ustawienia > OSOZ/LBK (SET-3, manual §3.1, §14.2): connection settings, the configuration wizard and its return,
the integration switch, the connection status, Konfiguracja dostępu do telewizyty and the integration status page;
and „Pobierz płatników z OSOZ” of the Płatnicy page (OSZ-9) and „Wyślij cenniki do OSOZ” (PAY-6). Administrators
only."""

import base64
import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.selectors import clinic_get
from core.errors import DomainError
from osoz_integration import monitor, outbox, payers_in, pricelists_out, reconcile, services
from osoz_integration.client import OsozError
from osoz_integration.forms import (
    ConnectionForm,
    PriceListsCertificateForm,
    PriceListsConfirmForm,
    TelevisitAccessForm,
)
from osoz_integration.selectors import connection_get, connection_status, reconciliation_last
from payers.sending import osoz_payers
from payers.signing import Pkcs12Signer, SigningError

PERMISSION = "osoz_integration.change_connection"
# The wizard's state lives in the administrator's session only, so a redirect forged elsewhere cannot complete it.
WIZARD_STATE = "osoz_wizard_state"
STATUS_ERRORS = 20


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def connection(request):
    form = ConnectionForm(request.POST or None, instance=connection_get())
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        minutes = data.pop("outage_alert_minutes")
        with transaction.atomic():
            services.connection_update(**data, actor=request.user, request=request)
            monitor.outage_alert_minutes_set(minutes=minutes, actor=request.user, request=request)
        messages.success(request, _("Zapisano ustawienia połączenia z OSOZ."))
        return redirect("osoz_integration:connection")
    return _connection_page(request, form=form)


def _connection_page(request, *, form=None, televisit_form=None, status=200):
    context = {
        "form": form or ConnectionForm(instance=connection_get()),
        "televisit_form": televisit_form or TelevisitAccessForm(),
        "status": connection_status(),
        "clinic": clinic_get(),
    }
    return render(request, "osoz_integration/connection.html", context, status=status)


@sensitive_post_parameters("password")
@never_cache
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def televisit_access(request):
    """Konfiguracja dostępu do telewizyty (manual §14.2): the Provider Service password, typed once, obtains access
    from OSOZ; the password is neither stored nor shown again, whatever OSOZ answers."""
    form = TelevisitAccessForm(request.POST)
    if not form.is_valid():
        return _connection_page(request, televisit_form=form, status=422)
    try:
        connection = services.televisit_access_configure(
            password=form.cleaned_data["password"], actor=request.user, request=request
        )
    except OsozError as error:
        # The password field is drawn empty again (PasswordInput does not render its value).
        reason = _("Nie udało się skonfigurować dostępu do telewizyty: %(reason)s") % {"reason": error.message}
        form.add_error(None, reason)
        return _connection_page(request, televisit_form=form, status=422)
    messages.success(
        request,
        _("Skonfigurowano dostęp do telewizyty. Telewizyta aktywna do %(date)s.")
        % {"date": connection.televisit_active_until.strftime("%d.%m.%Y")},
    )
    return redirect(reverse("osoz_integration:connection") + "#telewizyta")


@permission_required(PERMISSION, raise_exception=True)
@require_GET
def status(request):
    """Ustawienia > OSOZ/LBK > "Stan integracji" (OSZ-10): is OSOZ reachable, what waits to be sent, what OSOZ
    refused and waits for the administrator's decision, how fresh the bookings feed is, what was received today and
    what failed lately."""
    last = reconciliation_last()
    context = {
        "status": connection_status(errors=STATUS_ERRORS),
        "refused": outbox.outbox_refused(),
        "reconciliation": last,
        "reconciliation_next": reconcile.reconciliation_next(last),
    }
    return render(request, "osoz_integration/status.html", context)


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def reconciliation_start(request):
    """Stan integracji, "Uzgodnij teraz": compare OSOZ with Poradnia at once instead of waiting for the beat."""
    run = reconcile.reconciliation_run(actor=request.user, request=request)
    if run is None:
        messages.info(
            request, _("Uzgodnienie nie zostało uruchomione: integracja jest wyłączona albo inne uzgodnienie trwa.")
        )
    elif run.error:
        messages.error(request, _("Nie udało się uzgodnić danych z OSOZ: %(reason)s") % {"reason": run.error})
    else:
        messages.success(
            request,
            _("Uzgodniono dane z OSOZ: różnic %(found)s, przekazanych do naprawy %(repaired)s.")
            % {"found": run.found, "repaired": run.repaired},
        )
    return redirect(reverse("osoz_integration:status") + "#uzgodnienie")


def _refused_list():
    return redirect(reverse("osoz_integration:status") + "#odrzucone")


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def outbox_resend(request, pk: int):
    """Stan integracji, "Wyślij ponownie" of a message OSOZ refused."""
    if outbox.outbox_resend(pk=pk, actor=request.user, request=request):
        messages.success(request, _("Wiadomość zostanie wysłana do OSOZ ponownie."))
    else:
        messages.info(request, _("Ta wiadomość nie czeka już na decyzję."))
    return _refused_list()


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def outbox_skip(request, pk: int):
    """Stan integracji, "Pomiń" of a message OSOZ refused: OSOZ keeps what it holds."""
    if outbox.outbox_skip(pk=pk, actor=request.user, request=request):
        messages.success(request, _("Pominięto wiadomość; w OSOZ nic się nie zmieniło."))
    else:
        messages.info(request, _("Ta wiadomość nie czeka już na decyzję."))
    return _refused_list()


def _return_url(request) -> str:
    return request.build_absolute_uri(reverse("osoz_integration:connection_callback"))


@permission_required(PERMISSION, raise_exception=True)
@require_GET
def connection_wizard(request):
    """ "Kreator konfiguracji systemu OSOZ": send the administrator to the Provider Service.

    A link, not a form: the page's CSP (form-action 'self') rightly stops a form from landing on another origin,
    and starting the wizard changes nothing but a fresh state in the session."""
    state = secrets.token_urlsafe(32)
    request.session[WIZARD_STATE] = state
    query = urlencode({"return_url": _return_url(request), "state": state})
    return redirect(f"{connection_get().base_url}/provider/connect?{query}")


@permission_required(PERMISSION, raise_exception=True)
@require_GET
def connection_callback(request):
    """Where the Provider Service sends the administrator back, with a one-time code or with an error."""
    expected = request.session.pop(WIZARD_STATE, None)
    state = request.GET.get("state", "")
    if not expected or not secrets.compare_digest(state, expected):
        messages.error(request, _("Powrót z kreatora konfiguracji OSOZ jest nieważny. Uruchom kreator ponownie."))
        return redirect("osoz_integration:connection")
    code = request.GET.get("code", "")
    if not code:
        messages.warning(request, _("Konfigurację w Serwisie Świadczeniodawcy OSOZ przerwano; nic nie zmieniono."))
        return redirect("osoz_integration:connection")
    try:
        services.connection_connect(code=code, return_url=_return_url(request), actor=request.user, request=request)
    except OsozError as error:
        messages.error(request, _("Nie udało się połączyć z OSOZ: %(reason)s") % {"reason": error.message})
    else:
        messages.success(request, _("Placówka jest połączona z OSOZ."))
    return redirect("osoz_integration:connection")


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def connection_switch(request):
    enabled = request.POST.get("enabled") == "on"
    try:
        services.connection_switch(enabled=enabled, actor=request.user, request=request)
    except DomainError as error:
        if error.code == "refused_by_osoz":
            where = reverse("osoz_integration:status") + "#odrzucone"
            link = _("Stan integracji › Odrzucone przez OSOZ")
            messages.error(request, format_html('{} <a href="{}">{}</a>', error.message, where, link))
        else:
            messages.error(request, error.message)
    else:
        messages.success(request, _("Włączono integrację z OSOZ.") if enabled else _("Wyłączono integrację z OSOZ."))
    return redirect("osoz_integration:connection")


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def connection_check(request):
    try:
        entity = services.connection_check(actor=request.user, request=request)
    except OsozError as error:
        messages.error(request, _("OSOZ nie odpowiada poprawnie: %(reason)s") % {"reason": error.message})
    else:
        messages.success(request, _("Połączenie z OSOZ działa: podmiot „%(name)s”.") % {"name": entity.entity_name})
    return redirect("osoz_integration:connection")


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def payers_fetch(request):
    """Usługi prywatne > Płatnicy, „Pobierz płatników z OSOZ”: the request returns at once and a worker imports."""
    try:
        payers_in.payers_fetch_request(actor=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Wysłano żądanie aktualizacji listy płatników do systemu OSOZ. Odśwież widok za kilkanaście sekund, "
                "aby zobaczyć zaktualizowaną listę."
            ),
        )
    return redirect("payers:payer_list")


@sensitive_post_parameters("password", "certificate")
@never_cache
@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def pricelists_send(request):
    """Usługi prywatne > Płatnicy, „Wyślij cenniki do OSOZ” (PAY-6, manual §11.3): the step Certyfikat takes the
    PKCS#12 file and its password and shows whose certificate it is; the confirmation brings both back (they are
    never kept on the server), signs with a new signer and hands the document to the outbox."""
    refusal = pricelists_out.pricelists_send_refusal()
    context = {"refusal": refusal, "payers": osoz_payers().count(), **pricelists_out.pricelists_state()}
    if request.method == "GET" or refusal is not None:
        if request.method == "POST":
            messages.error(request, refusal)
        context["form"] = PriceListsCertificateForm()
        return render(request, "osoz_integration/pricelists_send.html", context)
    if "subject" not in request.POST:
        return _pricelists_certificate(request, context)
    confirm = PriceListsConfirmForm(request.POST)
    if not confirm.is_valid():
        messages.error(request, _("Wybierz plik certyfikatu ponownie."))
        return redirect("osoz_integration:pricelists_send")
    try:
        signer = Pkcs12Signer(confirm.cleaned_data["certificate"], confirm.cleaned_data["password"])
        pricelists_out.pricelists_send(
            signer=signer, confirmed_subject=confirm.cleaned_data["subject"], actor=request.user, request=request
        )
    except DomainError as error:
        pricelists_out.pricelists_refused_audit(error=error, actor=request.user, request=request)
        messages.error(request, error.message)
        return redirect("osoz_integration:pricelists_send")
    messages.success(
        request,
        _(
            "Wysłano żądanie aktualizacji cenników do systemu OSOZ. Wynik wysyłki zobaczysz na tej stronie i w Dane > "
            "Audyty."
        ),
    )
    return redirect("osoz_integration:pricelists_send")


def _pricelists_certificate(request, context: dict):
    """The step Certyfikat: the file opened with its password, its subject shown for confirmation."""
    form = PriceListsCertificateForm(request.POST, request.FILES)
    if form.is_valid():
        data, password = form.cleaned_data["certificate"], form.cleaned_data["password"]
        try:
            subject = Pkcs12Signer(data, password).subject()
        except SigningError as error:
            form.add_error("certificate", error.message)
        else:
            context["confirm"] = PriceListsConfirmForm(
                initial={"certificate": base64.b64encode(data).decode(), "password": password, "subject": subject}
            )
            context["subject"] = subject
            return render(request, "osoz_integration/pricelists_send_confirm.html", context)
    context["form"] = form
    return render(request, "osoz_integration/pricelists_send.html", context, status=422 if form.errors else 200)
