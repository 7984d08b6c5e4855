"""Pages of the Provider Service's insurer half (manual §10, SBX-5): Ubezpieczenia > Regulamin, Ubezpieczenia >
Ubezpieczyciele with an insurer's tabs Informacje, Regulaminy and Identyfikatory lokalizacji, and the OSOZ operator's
side of the location identifiers (a sandbox tool, like the fault simulation)."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from osoz_sandbox import insurers
from osoz_sandbox.forms import (
    CooperationForm,
    InsuranceDataForm,
    InsuranceTermsForm,
    LocationCodesForm,
    OperatorCodeForm,
)
from osoz_sandbox.insurers import InsuranceRefused
from osoz_sandbox.models import Cooperation, CooperationStatus, Entity, Insurer, Location, LocationCode
from osoz_sandbox.views import provider_required, text_download

# --- Ubezpieczenia > Regulamin (§10.1) -----------------------------------------------------------------------------


@provider_required
@require_http_methods(["GET", "POST"])
def insurance_terms(request: HttpRequest, entity: Entity) -> HttpResponse:
    """Step 1: verify the clinic's data and confirm them; once the regulations are accepted, the service's state."""
    form = InsuranceDataForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            insurers.insurance_data_confirm(entity=entity)
        except InsuranceRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            return redirect("insurance_terms_accept")
    context = {"entity": entity, "form": form, "missing": insurers.missing_data(entity)}
    return render(request, "osoz_sandbox/provider/insurance_terms.html", context)


@provider_required
@require_http_methods(["GET", "POST"])
def insurance_terms_accept(request: HttpRequest, entity: Entity) -> HttpResponse:
    """Step 2: download the regulations, tick "Akceptuję regulamin", accept."""
    if entity.insurance_data_confirmed_at is None:
        messages.error(request, "Najpierw zweryfikuj dane świadczeniodawcy i potwierdź ich poprawność.")
        return redirect("insurance_terms")
    form = InsuranceTermsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        insurers.insurance_terms_accept(entity=entity)
        messages.success(request, "Zaakceptowano regulamin. Usługa „Ubezpieczenia” jest aktywna.")
        return redirect("insurance_terms")
    return render(request, "osoz_sandbox/provider/insurance_terms_accept.html", {"entity": entity, "form": form})


@provider_required
def insurance_terms_download(request: HttpRequest, entity: Entity) -> HttpResponse:
    return text_download(insurers.INSURANCE_TERMS, "regulamin-uslugi-ubezpieczenia.txt")


# --- Ubezpieczenia > Ubezpieczyciele (§10.3, §10.4) -----------------------------------------------------------------


@provider_required
def insurer_list(request: HttpRequest, entity: Entity) -> HttpResponse:
    context = {"entity": entity, "rows": insurers.insurer_rows(entity)}
    return render(request, "osoz_sandbox/provider/insurer_list.html", context)


def _row(entity: Entity, osoz_id: str) -> insurers.InsurerRow:
    row = insurers.insurer_row(entity, osoz_id)
    if row is None:
        raise Http404("Nie ma takiego ubezpieczyciela w katalogu OSOZ.")
    return row


def _insurer_page(request: HttpRequest, entity: Entity, row: insurers.InsurerRow, tab: str, **extra) -> HttpResponse:
    context = {"entity": entity, "row": row, "insurer": row.insurer, "tab": tab, **extra}
    return render(request, f"osoz_sandbox/provider/insurer_{tab}.html", context)


@provider_required
def insurer_detail(request: HttpRequest, entity: Entity, osoz_id: str) -> HttpResponse:
    """Tab Informacje: the offer, the state of the cooperation and its Rejestracja on-line."""
    return _insurer_page(request, entity, _row(entity, osoz_id), "detail")


@provider_required
def insurer_terms(request: HttpRequest, entity: Entity, osoz_id: str) -> HttpResponse:
    """Tab Regulaminy: the insurer's regulations with „Przystąp”."""
    return _insurer_page(request, entity, _row(entity, osoz_id), "terms")


@provider_required
def insurer_terms_download(request: HttpRequest, entity: Entity, osoz_id: str) -> HttpResponse:
    insurer = _row(entity, osoz_id).insurer
    return text_download(insurer.terms, f"regulamin-{insurer.osoz_id}.txt")


@provider_required
@require_http_methods(["GET", "POST"])
def insurer_cooperate(request: HttpRequest, entity: Entity, osoz_id: str) -> HttpResponse:
    """Where „Nawiąż współpracę” and „Przystąp” lead: the insurer's regulations to download and accept."""
    row = _row(entity, osoz_id)
    if row.active:
        messages.info(request, f"Współpraca z ubezpieczycielem {row.insurer.name} jest już aktywna.")
        return redirect("insurer_detail", osoz_id=osoz_id)
    form = CooperationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cooperation = insurers.cooperation_start(entity=entity, insurer=row.insurer)
        except InsuranceRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            text = f"Nawiązano współpracę z ubezpieczycielem {row.insurer.name}."
            if cooperation.online_registration:
                text += " Rejestracja on-line dla tego ubezpieczyciela została włączona automatycznie."
            messages.success(request, text)
            if row.insurer.requires_location_codes:
                messages.warning(
                    request,
                    f"{row.insurer.name} wymaga identyfikatorów lokalizacji: wprowadź kody przekazane przez "
                    "ubezpieczyciela w zakładce Identyfikatory lokalizacji.",
                )
                return redirect("insurer_location_codes", osoz_id=osoz_id)
            return redirect("insurer_detail", osoz_id=osoz_id)
    return _insurer_page(request, entity, row, "cooperate", form=form, terms_ready=entity.insurance_active)


@provider_required
@require_http_methods(["GET", "POST"])
def insurer_end(request: HttpRequest, entity: Entity, osoz_id: str) -> HttpResponse:
    """„Zakończ współpracę”, confirmed on a page of its own (the manual's "additional window")."""
    row = _row(entity, osoz_id)
    if request.method == "POST":
        try:
            insurers.cooperation_end(entity=entity, insurer=row.insurer)
        except InsuranceRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"Zakończono współpracę z ubezpieczycielem {row.insurer.name}.")
        return redirect("insurer_detail", osoz_id=osoz_id)
    if not row.active:
        messages.info(request, f"Placówka nie współpracuje z ubezpieczycielem {row.insurer.name}.")
        return redirect("insurer_detail", osoz_id=osoz_id)
    return _insurer_page(request, entity, row, "end")


@provider_required
@require_POST
def insurer_online_registration(request: HttpRequest, entity: Entity, osoz_id: str) -> HttpResponse:
    """„Włącz” / „Wyłącz” Rejestracja on-line for one insurer."""
    row = _row(entity, osoz_id)
    enabled = request.POST.get("enabled") == "on"
    try:
        insurers.cooperation_online_registration_set(entity=entity, insurer=row.insurer, enabled=enabled)
    except InsuranceRefused as refusal:
        messages.error(request, refusal.message)
    else:
        state = "włączona" if enabled else "wyłączona"
        messages.success(request, f"Rejestracja on-line dla ubezpieczyciela {row.insurer.name} jest {state}.")
    return redirect("insurer_detail", osoz_id=osoz_id)


@provider_required
@require_http_methods(["GET", "POST"])
def insurer_location_codes(request: HttpRequest, entity: Entity, osoz_id: str) -> HttpResponse:
    """Tab Identyfikatory lokalizacji: a code per location, with its status of Tabela 8."""
    row = _row(entity, osoz_id)
    rows = insurers.location_code_rows(entity, row.insurer)
    form = LocationCodesForm(request.POST if request.method == "POST" else None, rows=rows, insurer=row.insurer)
    if request.method == "POST" and form.is_valid():
        entered = {r.location.unit_number: r.clinic_code for r in rows}
        try:
            with transaction.atomic():
                for unit_number, code in form.codes().items():
                    if code != entered[unit_number]:
                        insurers.location_code_enter(
                            entity=entity, insurer=row.insurer, unit_number=unit_number, code=code
                        )
        except InsuranceRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, "Zapisano identyfikatory lokalizacji; status każdego kodu jest w tabeli.")
            return redirect("insurer_location_codes", osoz_id=osoz_id)
    fields = [(code_row, form[f"code_{code_row.location.unit_number}"]) for code_row in rows]
    return _insurer_page(request, entity, row, "location_codes", form=form, fields=fields)


# --- The OSOZ operator (sandbox tool) --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def operator_location_codes(request: HttpRequest) -> HttpResponse:
    """Operator OSOZ: the codes insurers handed over, entered for each clinic's location before the clinic enters
    them (Tabela 8: the order matters). No login, like /awarie/: the sandbox's own tool for the demo and tests."""
    if request.method == "POST":
        form = OperatorCodeForm(request.POST)
        entity = Entity.objects.filter(entity_id=request.POST.get("entity_id", "")).first()
        insurer = Insurer.objects.filter(osoz_id=request.POST.get("insurer", "")).first()
        if form.is_valid() and entity and insurer:
            unit_number = form.cleaned_data["unit_number"]
            if Location.objects.filter(entity=entity, unit_number=unit_number, deleted=False).exists():
                insurers.operator_code_enter(
                    entity=entity, insurer=insurer, unit_number=unit_number, code=form.cleaned_data["code"]
                )
                messages.success(request, "Zapisano kod operatora OSOZ.")
                return redirect("operator_location_codes")
        errors = [error for errors in form.errors.values() for error in errors]
        messages.error(request, "Nie zapisano kodu: " + (" ".join(errors) or "nie ma takiej lokalizacji."))
        return redirect("operator_location_codes")
    cooperations = Cooperation.objects.filter(
        status=CooperationStatus.ACTIVE, insurer__requires_location_codes=True
    ).select_related("entity", "insurer")
    codes = {(c.entity_id, c.insurer_id, c.unit_number): c for c in LocationCode.objects.all()}
    rows = [
        (cooperation, location, codes.get((cooperation.entity_id, cooperation.insurer_id, location.unit_number)))
        for cooperation in cooperations
        for location in Location.objects.filter(entity=cooperation.entity, deleted=False).order_by("unit_number")
    ]
    return render(request, "osoz_sandbox/operator_location_codes.html", {"rows": rows})
