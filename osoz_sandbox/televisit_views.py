"""Pages of the Provider Service's televisit half (manual §14.1): Telewizyta > Informacje with „Włącz” (demo) and
„Kup”, „Zarejestruj dane placówki” producing the patients' televisit terms, and Rejestracja on-line > Terminarz with
„Umożliwia telewizytę” per doctor; and the terms as the patient site shows them."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from osoz_sandbox import televisits
from osoz_sandbox.forms import DoctorsTelevisitForm, TelevisitOrderForm, TelevisitTermsForm
from osoz_sandbox.models import Doctor, Entity, Schedule, TelevisitTerms
from osoz_sandbox.televisits import TelevisitRefused
from osoz_sandbox.views import provider_required, text_download


def _terms(entity: Entity) -> TelevisitTerms | None:
    return TelevisitTerms.objects.filter(entity=entity).first()


@provider_required
def televisit_info(request: HttpRequest, entity: Entity) -> HttpResponse:
    """Telewizyta > Informacje: the service's state, „Włącz” or „Kup”, the clinic's data for the terms and the access
    granted to the clinic's system."""
    context = {
        "entity": entity,
        "terms": _terms(entity),
        "access": televisits.access_current(entity),
        "demo_months": televisits.DEMO_MONTHS,
        "paid_months": televisits.PAID_MONTHS,
    }
    return render(request, "osoz_sandbox/provider/televisit_info.html", context)


@provider_required
@require_POST
def televisit_demo(request: HttpRequest, entity: Entity) -> HttpResponse:
    """„Włącz”: the demo mode for 3 months."""
    try:
        entity = televisits.televisit_demo_start(entity=entity)
    except TelevisitRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"Włączono telewizytę w wersji demo do {entity.televisit_active_until:%d.%m.%Y}. Następny krok: "
            "zarejestruj dane placówki, aby utworzyć regulamin telewizyty dla pacjentów.",
        )
    return redirect("televisit_info")


@provider_required
@require_http_methods(["GET", "POST"])
def televisit_order(request: HttpRequest, entity: Entity) -> HttpResponse:
    """„Kup”: the order of 12 months of paid access, confirmed."""
    form = TelevisitOrderForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        entity = televisits.televisit_buy(entity=entity)
        messages.success(
            request,
            f"Dziękujemy za zamówienie. Usługa telewizyty jest wykupiona i aktywna do "
            f"{entity.televisit_active_until:%d.%m.%Y}.",
        )
        return redirect("televisit_info")
    context = {"entity": entity, "form": form, "paid_months": televisits.PAID_MONTHS}
    return render(request, "osoz_sandbox/provider/televisit_order.html", context)


@provider_required
@require_http_methods(["GET", "POST"])
def televisit_terms(request: HttpRequest, entity: Entity) -> HttpResponse:
    """„Zarejestruj dane placówki”: the form whose data the televisit terms are generated from."""
    if not entity.televisit_mode:
        messages.error(request, televisits.SERVICE_FIRST)
        return redirect("televisit_info")
    current = _terms(entity)
    initial = {} if current else {"operator_name": entity.name, "address": entity.address, "nip": entity.nip}
    form = TelevisitTermsForm(request.POST if request.method == "POST" else None, instance=current, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in TelevisitTermsForm.Meta.fields}
        televisits.terms_register(entity=entity, data=data)
        messages.success(
            request,
            "Zarejestrowano dane placówki i utworzono regulamin telewizyty. Pacjenci akceptują go, umawiając "
            "telewizytę.",
        )
        return redirect("televisit_info")
    return render(request, "osoz_sandbox/provider/televisit_terms.html", {"entity": entity, "form": form})


@provider_required
def televisit_terms_download(request: HttpRequest, entity: Entity) -> HttpResponse:
    terms = _terms(entity)
    if terms is None:
        raise Http404("Regulamin telewizyty nie został jeszcze utworzony.")
    return text_download(televisits.terms_text(terms), "regulamin-telewizyty.txt")


@provider_required
@require_http_methods(["GET", "POST"])
def provider_timetable(request: HttpRequest, entity: Entity) -> HttpResponse:
    """Rejestracja on-line > Terminarz: the doctors the clinic published with their schedules, and „Umożliwia
    telewizytę” at each (televisits then possible in every location the doctor's schedules are shared in)."""
    doctors = list(Doctor.objects.filter(entity=entity, deleted=False).prefetch_related("specialisations"))
    form = DoctorsTelevisitForm(request.POST if request.method == "POST" else None, doctors=doctors)
    if request.method == "POST" and form.is_valid():
        televisits.doctors_televisit_set(entity=entity, doctor_ids=set(form.cleaned_data["televisit"]))
        messages.success(request, "Zapisano ustawienia terminarza.")
        return redirect("provider_timetable")
    schedules: dict[str, list[Schedule]] = {}
    for schedule in Schedule.objects.filter(entity=entity, deleted=False):
        schedules.setdefault(schedule.doctor_id, []).append(schedule)
    rows = [
        (doctor, schedules.get(doctor.doctor_id, []), checkbox)
        for doctor, checkbox in zip(doctors, form["televisit"], strict=True)
    ]
    context = {"entity": entity, "form": form, "rows": rows}
    return render(request, "osoz_sandbox/provider/timetable.html", context)


def lbk_televisit_terms(request: HttpRequest, entity_id: str) -> HttpResponse:
    """The clinic's televisit terms on the patient site, linked from the booking form of a televisit."""
    entity = get_object_or_404(Entity, entity_id=entity_id, online_registration=True)
    terms = _terms(entity)
    if terms is None:
        raise Http404("Ta placówka nie ma regulaminu telewizyty.")
    context = {"entity": entity, "text": televisits.terms_text(terms)}
    return render(request, "osoz_sandbox/lbk/televisit_terms.html", context)
