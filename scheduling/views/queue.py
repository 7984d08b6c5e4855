"""Kalendarz > Kolejka oczekujących (SPEC SET-1, manual §5.4): the NFZ waiting queue per cell, stable and urgent
cases, each with the first free date found when the patient was entered; reception also enters patients by hand."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from patients.selectors import patients_search
from patients.services import patients_viewed_record
from scheduling.forms import QueueAddForm, QueueFilterForm
from scheduling.selectors import booking_settings, waiting_list_filter
from scheduling.services import waiting_list_add

PAGE_SIZE = 50
PATIENT_RESULTS = 10


@permission_required("scheduling.view_waitinglistentry", raise_exception=True)
@require_http_methods(["GET", "POST"])
def queue(request):
    add_form = None
    if request.user.has_perm("scheduling.add_waitinglistentry"):
        add_form = QueueAddForm(request.POST or None)
    elif request.method == "POST":
        raise PermissionDenied
    if request.method == "POST" and add_form.is_valid():
        data = add_form.cleaned_data
        try:
            entry = waiting_list_add(
                cell=data["cell"],
                patient=data["patient"],
                category=data["category"],
                added_by_label=request.user.audit_label,
            )
        except DomainError as error:
            add_form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Wpisano pacjenta %(patient)s do kolejki oczekujących komórki „%(cell)s”.")
                % {"patient": entry.patient, "cell": entry.cell.name},
            )
            return redirect(f"{request.path}?cell={entry.cell_id}")
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(waiting_list_filter(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    chosen = add_form["patient"].value() if add_form is not None and add_form.is_bound else None
    visible = patients_search(user=request.user, query="")
    context = {
        "form": form,
        "add_form": add_form,
        "page": page,
        "querystring": query.urlencode(),
        "patients": visible.filter(pk=chosen) if str(chosen or "").isdigit() else [],
        "chosen": str(chosen or ""),
        "nfz_first_time_online": booking_settings().nfz_first_time_online,
    }
    partial = request.htmx and request.method == "GET" and not request.htmx.history_restore_request
    return render(request, "scheduling/queue_rows.html" if partial else "scheduling/queue.html", context)


@permission_required("scheduling.add_waitinglistentry", raise_exception=True)
@permission_required("patients.view_patient", raise_exception=True)
@require_POST
def queue_patients(request):
    """htmx: the patients matching what was typed in the add form, to pick one. POSTed, so what was typed reaches
    no URL and no access log."""
    text = request.POST.get("q", "").strip()[:100]
    found = []
    if text:
        found = list(patients_search(user=request.user, query=text)[:PATIENT_RESULTS])
        shown = gettext_lazy(
            "Wyświetlono wyniki wyszukiwania pacjenta w kolejce oczekujących (liczba pacjentów: {count})."
        )
        patients_viewed_record(patients=found, message=format_lazy(shown, count=len(found)), request=request)
    return render(request, "scheduling/queue_patients.html", {"patients": found, "q": text, "chosen": ""})
