"""Pacjenci > Lista, Nowy pacjent and the patient record (kartoteka) with its section Rejestracja online (OSOZ).
Each view checks its permission itself; the menu only hides what a role cannot open."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import errors_to_form
from patients import selectors, services
from patients.forms import (
    EmergencyAccessForm,
    OsozCardAddForm,
    OsozCardStatusForm,
    PatientCreateForm,
    PatientForm,
    PatientSearchForm,
)
from patients.models import OsozCardSource

PAGE_SIZE = 25


@permission_required("patients.view_patient", raise_exception=True)
@require_http_methods(["GET", "POST"])
def patient_list(request):
    """Pacjenci > Lista. A search is POSTed, and so are the pages of its results, the query going with them: what
    was typed — a PESEL, a phone number — never reaches a URL, and so no access log. Only the unfiltered list's page
    number travels in the query string."""
    form = PatientSearchForm(request.POST or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    number = (request.POST if request.method == "POST" else request.GET).get("page")
    patients = selectors.patients_search(user=request.user, query=query)
    page = Paginator(patients, PAGE_SIZE).get_page(number)
    if query:
        shown = gettext_lazy("Wyświetlono wyniki wyszukiwania pacjentów (strona {page}, liczba pacjentów: {count}).")
    else:
        shown = gettext_lazy("Wyświetlono listę pacjentów (strona {page}, liczba pacjentów: {count}).")
    services.patients_viewed_record(
        patients=list(page), message=format_lazy(shown, page=page.number, count=len(page)), request=request
    )
    context = {"form": form, "page": page, "query": query}
    partial = request.htmx and not request.htmx.history_restore_request
    return render(request, "patients/patient_list_rows.html" if partial else "patients/patient_list.html", context)


@permission_required("patients.add_patient", raise_exception=True)
@require_http_methods(["GET", "POST"])
def patient_create(request):
    form = PatientCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(**form.cleaned_data, actor=request.user, request=request)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Założono kartotekę pacjenta."))
            return redirect("patients:patient_detail", patient_id=patient.pk)
    return render(request, "patients/patient_create.html", {"form": form})


@permission_required("patients.view_patient", raise_exception=True)
@require_http_methods(["GET", "POST"])
def patient_detail(request, patient_id):
    try:
        patient = selectors.patient_for_user(user=request.user, patient_id=patient_id)
    except selectors.PatientHidden:
        return _render_emergency_access(request, patient_id, EmergencyAccessForm())
    if request.method == "GET":
        return _render_detail(request, patient)
    if not request.user.has_perm("patients.change_patient"):
        raise PermissionDenied
    # The form edits its own copy, so a refused edit leaves the record shown as it is stored.
    form = PatientForm(request.POST, instance=selectors.patient_for_user(user=request.user, patient_id=patient_id))
    if form.is_valid():
        try:
            services.patient_update(patient=form.instance, data=form.cleaned_data, actor=request.user, request=request)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Zapisano zmiany w kartotece pacjenta."))
            return redirect("patients:patient_detail", patient_id=patient.pk)
    return _render_detail(request, patient, form=form)


@permission_required("patients.view_patient", raise_exception=True)
@require_POST
def patient_emergency_access(request, patient_id):
    """Break the glass: a doctor opens the record of someone who is not his patient by giving a reason; the record
    then stays open to him for a limited time, and the audit says why. A record he may see anyway is just shown."""
    try:
        selectors.patient_for_user(user=request.user, patient_id=patient_id)
    except selectors.PatientHidden as hidden:
        form = EmergencyAccessForm(request.POST)
        if not form.is_valid():
            return _render_emergency_access(request, patient_id, form)
        services.patient_emergency_access_grant(
            patient=hidden.patient, user=request.user, reason=form.cleaned_data["reason"], request=request
        )
        messages.warning(request, _("Otwarto kartotekę w trybie awaryjnym. Dostęp został zapisany w audycie."))
    return redirect("patients:patient_detail", patient_id=patient_id)


@permission_required("patients.add_osozcard", raise_exception=True)
@require_POST
def osoz_card_add(request, patient_id):
    patient = selectors.patient_for_user(user=request.user, patient_id=patient_id)
    form = OsozCardAddForm(request.POST)
    if form.is_valid():
        try:
            services.osoz_card_add(
                patient=patient,
                number=form.cleaned_data["number"],
                status=form.cleaned_data["status"],
                source=OsozCardSource.MANUAL,
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return _cards_changed(request, patient, _("Dodano kartę OSOZ."))
    if request.htmx:
        return _render_cards(request, patient, card_form=form)
    return _render_detail(request, patient, card_form=form)


@permission_required("patients.change_osozcard", raise_exception=True)
@require_POST
def osoz_card_status(request, patient_id, card_id):
    patient = selectors.patient_for_user(user=request.user, patient_id=patient_id)
    card = selectors.osoz_card_for_patient(patient=patient, card_id=card_id)
    form = OsozCardStatusForm(request.POST)
    if not form.is_valid():
        return _cards_changed(request, patient, _("Wybierz status karty OSOZ z listy."), level=messages.ERROR)
    services.osoz_card_set_status(card=card, status=form.cleaned_data["status"], actor=request.user, request=request)
    return _cards_changed(request, patient, _("Zapisano status karty OSOZ."))


def _cards_changed(request, patient, message, *, level=messages.SUCCESS):
    if request.htmx:
        return _render_cards(request, patient, message=message, message_level=messages.DEFAULT_TAGS[level])
    messages.add_message(request, level, message)
    return redirect(_cards_url(patient))


def _cards_url(patient):
    return reverse("patients:patient_detail", kwargs={"patient_id": patient.pk}) + "#osoz"


def _cards_context(request, patient, *, card_form=None, message="", message_level=""):
    return {
        "patient": patient,
        "cards": selectors.osoz_cards_of_patient(patient=patient),
        "card_form": card_form or OsozCardAddForm(),
        "status_choices": OsozCardStatusForm.base_fields["status"].choices,
        "can_add_card": request.user.has_perm("patients.add_osozcard"),
        "can_change_card": request.user.has_perm("patients.change_osozcard"),
        "cards_message": message,
        "cards_message_level": message_level,
    }


def _render_cards(request, patient, **kwargs):
    return render(request, "patients/patient_detail_cards.html", _cards_context(request, patient, **kwargs))


def _render_detail(request, patient, *, form=None, card_form=None):
    can_edit = request.user.has_perm("patients.change_patient")
    context = {
        **_cards_context(request, patient, card_form=card_form),
        "form": (form or PatientForm(instance=patient)) if can_edit else None,
    }
    services.patients_viewed_record(
        patients=[patient], message=gettext_lazy("Wyświetlono kartotekę pacjenta."), request=request
    )
    return render(request, "patients/patient_detail.html", context)


def _render_emergency_access(request, patient_id, form):
    """Refused (403), with the way in; the page shows nothing of the patient."""
    context = {"patient_id": patient_id, "form": form, "hours": services.EMERGENCY_ACCESS_HOURS}
    return render(request, "patients/patient_emergency_access.html", context, status=403)
