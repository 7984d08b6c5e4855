"""Kalendarz > Umówienia (SPEC CAL-7, manual §6.2): the tabs Umówienia and Umówienia odwołane, filtered by who
booked or cancelled ("OSOZ" for online), and their export to .xlsx. A doctor sees only his own appointments."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from core.exports import XLSX_CONTENT_TYPE
from core.models import AuditCategory
from core.services import audit_record
from core.text import join_lazy
from scheduling import exports
from scheduling.forms import AppointmentFilterForm
from scheduling.selectors import appointment_actor_labels, appointments_filter, calendar_employees_for_user

PAGE_SIZE = 50
CANCELLED_TAB = "odwolane"


def _filtered(request):
    """The tab, the filter form and the appointments it selects; an invalid filter selects by nothing."""
    cancelled = request.GET.get("tab") == CANCELLED_TAB
    employees = calendar_employees_for_user(request.user)
    form = AppointmentFilterForm(request.GET or None, employees=employees, cancelled=cancelled)
    filters = form.cleaned_data if form.is_valid() else {}
    return cancelled, form, appointments_filter(user=request.user, cancelled=cancelled, **filters)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def appointment_list(request):
    cancelled, form, appointments = _filtered(request)
    page = Paginator(appointments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "cancelled": cancelled,
        "cancelled_tab": CANCELLED_TAB,
        "querystring": query.urlencode(),
        "actor_labels": appointment_actor_labels(user=request.user, cancelled=cancelled),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "scheduling/appointment_list_rows.html" if partial else "scheduling/appointment_list.html"
    return render(request, template, context)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def appointment_export(request):
    """The filtered list as an .xlsx workbook; who exported what is audited."""
    cancelled, form, appointments = _filtered(request)
    workbook, count = exports.appointments_workbook(appointments=appointments, cancelled=cancelled)
    audit_record(
        category=AuditCategory.EXPORT,
        action="appointments_exported",
        message=format_lazy(
            _("Wyeksportowano listę „{title}” do pliku .xlsx, liczba pozycji: {count}. Filtry: {filters}."),
            title=_("Umówienia odwołane") if cancelled else _("Umówienia"),
            count=count,
            filters=_filters_text(form),
        ),
        request=request,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"umowienia-odwolane-{stamp}.xlsx" if cancelled else f"umowienia-{stamp}.xlsx"
    response = HttpResponse(content=workbook, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _filters_text(form) -> Promise:
    """The filters used, as the audit text names them ("brak" for none)."""
    filters = form.cleaned_data.items() if form.is_bound and form.is_valid() else ()
    used = [
        format_lazy("{label}: {value}", label=form.fields[name].label, value=value)
        for name, value in filters
        if value not in (None, "")
    ]
    return join_lazy("; ", used) if used else _("brak")
