"""Struktura > Pracownicy > Harmonogramy (SPEC SCH-1, SCH-2, SCH-4, manual §5.3, §11.4): an employee's schedules and
their editing. Administrators add and change schedules; reception looks at everyone's, a doctor at his own."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clinic.models import Employee
from core.errors import DomainError
from core.permissions import any_permission_required
from scheduling.forms import BLOCKS_PREFIX, OSOZ_FIELDS, BlockFormSet, ScheduleForm, schedule_sections
from scheduling.models import Schedule
from scheduling.selectors import employee_for_user, schedules_of_employee
from scheduling.services import schedule_save


def _employee(pk: int) -> Employee:
    return get_object_or_404(Employee, pk=pk, is_medical=True)


@permission_required("scheduling.view_schedule", raise_exception=True)
@require_GET
def schedule_list(request, employee_pk):
    """A doctor sees his own schedules only, as in the API: another doctor's are not found (404) by either."""
    employee = employee_for_user(user=request.user, employee_id=employee_pk)
    context = {"employee": employee, "schedules": schedules_of_employee(employee=employee)}
    return render(request, "scheduling/schedule_list.html", context)


@any_permission_required("scheduling.add_schedule", "scheduling.change_schedule")
@require_http_methods(["GET", "POST"])
def schedule_edit(request, employee_pk=None, pk=None):
    if not request.user.has_perm("scheduling.change_schedule" if pk else "scheduling.add_schedule"):
        raise PermissionDenied
    if pk:
        schedule = get_object_or_404(Schedule.objects.select_related("employee"), pk=pk)
        employee = schedule.employee
    else:
        employee = _employee(employee_pk)
        schedule = Schedule(employee=employee)
    stored_blocks = schedule.blocks.all() if schedule.pk else []
    initial_blocks = [
        {"weekday": b.weekday, "start_time": b.start_time, "end_time": b.end_time, "visit_minutes": b.visit_minutes}
        for b in stored_blocks
    ]
    data = request.POST if request.method == "POST" else None
    form = ScheduleForm(data, instance=schedule, employee=employee)
    blocks = BlockFormSet(data, initial=initial_blocks, prefix=BLOCKS_PREFIX)
    sections = schedule_sections(data, form=form)
    valid = False
    if data is not None:
        # Every part is checked, so the page shows all the errors at once; the sections after the form they read.
        checks = [form.is_valid(), blocks.is_valid()]
        checks += [section.is_valid() for section in sections]
        valid = all(checks)
    if valid:
        try:
            saved = schedule_save(
                schedule=form.schedule(), blocks=blocks.specs(), actor=request.user, sections=sections
            )
        except DomainError as error:
            # The service refused: nothing was saved (a new schedule is still new); the page shows the refusal above
            # the form.
            if pk is None:
                schedule.pk = None
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Zapisano harmonogram: %(schedule)s.") % {"schedule": saved})
            return redirect("scheduling:schedule_list", employee_pk=employee.pk)
    context = {
        "employee": employee,
        "schedule": schedule if schedule.pk else None,
        "form": form,
        "blocks": blocks,
        "sections": sections,
    }
    return render(request, "scheduling/schedule_edit.html", context)


@any_permission_required("scheduling.add_schedule", "scheduling.change_schedule")
@require_GET
def schedule_edit_osoz(request, employee_pk):
    """htmx: the OSOZ section re-evaluated for the cell and switches chosen so far (SCH-2)."""
    employee = _employee(employee_pk)
    form = ScheduleForm(request.GET, employee=employee)
    # Only this section is shown, so only its own errors are wanted; the rest of the form, and the sections other
    # apps add to it (drawn with the values chosen so far), are checked on saving.
    form.full_clean()
    for name in list(form.errors):
        if name not in OSOZ_FIELDS:
            del form.errors[name]
    context = {"form": form, "sections": schedule_sections(request.GET, form=form)}
    return render(request, "scheduling/schedule_edit_osoz.html", context)


@any_permission_required("scheduling.add_schedule", "scheduling.change_schedule")
@require_GET
def schedule_edit_block(request):
    """htmx: one more empty row of Rozkład tygodniowy, numbered after the rows the page already has."""
    total = request.GET.get(f"{BLOCKS_PREFIX}-TOTAL_FORMS", "")
    index = int(total) if total.isdigit() else 0
    context = {"form": BlockFormSet(prefix=BLOCKS_PREFIX).new_row(index), "total": index + 1}
    return render(request, "scheduling/schedule_edit_block.html", context)
