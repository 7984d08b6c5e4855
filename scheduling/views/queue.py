"""Kalendarz > Kolejka oczekujących (SPEC SET-1, manual §5.4): the NFZ waiting queue, newest entries first, stable and
urgent cases, each with the first free date found when the patient was entered; filtered by cell and category and
searched by a patient's name or PESEL; reception also enters patients by hand."""

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
    # What was typed to find a patient never comes by URL (queue_search takes it); the cell and the category may.
    data = request.GET.copy()
    data.pop("q", None)
    form = QueueFilterForm(data or None)
    filters = {name: form.cleaned_data[name] for name in ("cell", "category")} if form.is_valid() else {}
    page = Paginator(waiting_list_filter(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    data.pop("page", None)
    partial = request.htmx and request.method == "GET" and not request.htmx.history_restore_request
    return _render(request, form=form, page=page, add_form=add_form, querystring=data.urlencode(), partial=partial)


@permission_required("scheduling.view_waitinglistentry", raise_exception=True)
@permission_required("patients.view_patient", raise_exception=True)
@require_POST
def queue_search(request):
    """The queue searched as Pacjenci > Lista searches (name, PESEL, phone, OSOZ card), and filtered. POSTed, and so
    are the pages of its results, what was typed going with them: it reaches no URL and no access log."""
    form = QueueFilterForm(request.POST)
    filters = dict(form.cleaned_data) if form.is_valid() else {}
    text = filters.pop("q", "").strip()
    patients = patients_search(user=request.user, query=text) if text else None
    page = Paginator(waiting_list_filter(**filters, patients=patients), PAGE_SIZE).get_page(request.POST.get("page"))
    if text:
        shown = gettext_lazy(
            "Wyświetlono wyniki wyszukiwania w kolejce oczekujących (strona {page}, liczba wpisów: {count})."
        )
        patients_viewed_record(
            patients=list({entry.patient_id: entry.patient for entry in page}.values()),
            message=format_lazy(shown, page=page.number, count=len(page)),
            request=request,
        )
    add_form = QueueAddForm() if request.user.has_perm("scheduling.add_waitinglistentry") else None
    partial = request.htmx and not request.htmx.history_restore_request
    return _render(request, form=form, page=page, add_form=add_form, searched=True, partial=partial)


def _render(request, *, form, page, add_form, querystring: str = "", searched: bool = False, partial: bool):
    chosen = add_form["patient"].value() if add_form is not None and add_form.is_bound else None
    visible = patients_search(user=request.user, query="")
    context = {
        "form": form,
        "add_form": add_form,
        "page": page,
        "querystring": querystring,
        "searched": searched,
        "patients": visible.filter(pk=chosen) if str(chosen or "").isdigit() else [],
        "chosen": str(chosen or ""),
        "nfz_first_time_online": booking_settings().nfz_first_time_online,
    }
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
