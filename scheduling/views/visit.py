"""The visit (wizyta, SPEC CAL-4): opened from a confirmed appointment in the calendar, with its notes and the
sections other apps add to it (scheduling.sections: Usługi prywatne, Skierowania). The appointment's own doctor
conducts it; reception and administrators may open it too. Opening changes the appointment's status, so it is a POST
(Otwórz wizytę); the page itself only shows the visit, whatever follows or prefetches its link."""

from contextlib import suppress

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from patients.services import patients_viewed_record
from scheduling.forms import VisitNotesForm
from scheduling.sections import sections_render
from scheduling.selectors import visit_appointment_for_user
from scheduling.services import appointment_finish_visit, appointment_notes_update, appointment_open_visit


def _visit_appointment(request, pk):
    return visit_appointment_for_user(user=request.user, appointment_id=pk)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def visit(request, pk):
    appointment = _visit_appointment(request, pk)
    refusal = None
    if not appointment.can_open_visit():
        refusal = _("Wizytę można otworzyć po potwierdzeniu przybycia pacjenta.")
    editable = appointment.can_write_visit()
    form = VisitNotesForm(request.POST if request.method == "POST" else None, instance=appointment)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            appointment_notes_update(appointment=appointment, notes=form.cleaned_data["notes"])
            messages.success(request, _("Zapisano notatki wizyty."))
            return redirect("scheduling:visit", pk=appointment.pk)
    patients_viewed_record(
        patients=[appointment.patient],
        message=gettext_lazy("Wyświetlono dane pacjenta na stronie wizyty."),
        request=request,
    )
    context = {
        "appointment": appointment,
        "form": form,
        "editable": editable,
        # Confirmed, not yet opened: the patient waits for the doctor.
        "can_open": appointment.can_open_visit() and not editable,
        "refusal": refusal,
        "actions": sections_render("VISIT_ACTIONS", request=request, appointment=appointment),
        "sections": sections_render("VISIT_SECTIONS", request=request, appointment=appointment),
    }
    return render(request, "scheduling/visit.html", context)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def visit_open(request, pk):
    """Otwórz wizytę: the appointment becomes an open visit (an open or finished one stays as it is), then the visit
    page shows it — or says why it cannot be opened."""
    appointment = _visit_appointment(request, pk)
    with suppress(DomainError):
        appointment_open_visit(appointment=appointment)
    return redirect("scheduling:visit", pk=appointment.pk)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_POST
def visit_finish(request, pk):
    appointment = _visit_appointment(request, pk)
    try:
        appointment_finish_visit(appointment=appointment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Zakończono wizytę."))
    return redirect("scheduling:visit", pk=appointment.pk)
