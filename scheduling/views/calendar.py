"""Kalendarz (SPEC CAL-1, CAL-2, CAL-6, CAL-8): the day and week grid of the doctors a user may see, the booking
window (okno umawiania) and the side panel of an appointment. Every action checks its permission here and reaches
objects through the per-user selectors; the rules themselves are the services'."""

from datetime import UTC, datetime, timedelta

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.forms import errors_to_form
from core.time import WARSAW
from patients.selectors import patient_for_user, patients_search
from patients.services import patient_create, patients_viewed_record
from scheduling import selectors, services
from scheduling.forms import (
    CALENDAR_DAY,
    CALENDAR_WEEK,
    BookingForm,
    CalendarFilterForm,
    CancelForm,
    MoveForm,
    NewPatientForm,
    SlotForm,
    SlotRemoveForm,
)
from scheduling.models import AppointmentKind, AppointmentSource, Schedule
from scheduling.sections import sections_render

SEARCH_LIMIT = 20
MOVE_SLOTS_SHOWN = 12
MOVE_SLOTS_CALENDAR_DAYS = 28
GRID_TARGET = "calendar-grid"


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def calendar(request):
    form = CalendarFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate(timezone=WARSAW)
    day = filters.get("date") or today
    view = filters.get("view") or CALENDAR_DAY
    date_from = day - timedelta(days=day.weekday()) if view == CALENDAR_WEEK else day
    date_to = date_from + timedelta(days=6 if view == CALENDAR_WEEK else 0)
    step = timedelta(days=7 if view == CALENDAR_WEEK else 1)
    cell, location, doctor = filters.get("cell"), filters.get("location"), filters.get("doctor")
    cell_ids = None
    if cell is not None:
        cell_ids = {cell.pk}
    elif location is not None:
        cell_ids = set(location.cells.values_list("pk", flat=True))
    grid = selectors.calendar_grid(
        user=request.user,
        date_from=date_from,
        date_to=date_to,
        now=timezone.now(),
        cell_ids=cell_ids,
        employee_id=doctor.pk if doctor else None,
    )
    query = {key: value for key, value in request.GET.items() if key != "date" and value}
    context = {
        "form": form,
        "grid": grid,
        "view": view,
        "day": day,
        "is_week": view == CALENDAR_WEEK,
        "doctor": doctor,
        "grid_url": _calendar_url({**query, "date": day.isoformat()}),
        "previous_url": _calendar_url({**query, "date": (day - step).isoformat()}),
        "next_url": _calendar_url({**query, "date": (day + step).isoformat()}),
        "today_url": _calendar_url({**query, "date": today.isoformat()}),
        "book_url": reverse("scheduling:calendar_book"),
        "appointment_url": _id_url_prefix("scheduling:calendar_appointment"),
        "removed_url": _id_url_prefix("scheduling:calendar_removed"),
        "can_book": request.user.has_perm("scheduling.add_appointment"),
    }
    template = "scheduling/calendar_grid.html" if request.htmx.target == GRID_TARGET else "scheduling/calendar.html"
    return render(request, template, context)


def _booking_context(request, data, *, bound=None) -> dict:
    """The booking window of the slot `data` names (doctor, start), its forms bound to `bound` (a booking's POST)."""
    employee, starts_at = _slot(request, data)
    covering = selectors.schedule_block_covering(employee_id=employee.pk, starts_at=starts_at, ends_at=None)
    if covering is None:
        raise Http404
    schedule, _block, ends_at = covering
    cards_enabled = selectors.booking_settings().osoz_cards_enabled
    kinds = _kinds_of(schedule)
    return {
        "employee": employee,
        "schedule": schedule,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "start": int(starts_at.timestamp()),
        "kinds": kinds,
        "form": BookingForm(bound, kinds=kinds),
        "patient_form": NewPatientForm(bound, cards_enabled=cards_enabled),
        "cards_enabled": cards_enabled,
        "remove_form": SlotRemoveForm(),
        "error": "",
    }


@permission_required("scheduling.add_appointment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def calendar_book(request):
    """The booking window: find or create the patient, choose the kind of visit, book it (CAL-2)."""
    data = request.POST if request.method == "POST" else request.GET
    context = _booking_context(request, data, bound=request.POST or None)
    employee, starts_at, kinds = context["employee"], context["starts_at"], context["kinds"]
    form, patient_form, cards_enabled = context["form"], context["patient_form"], context["cards_enabled"]
    if request.method == "GET":
        try:
            services.booking_check(employee_id=employee.pk, starts_at=starts_at, kind=kinds[0])
        except DomainError as error:
            context["error"] = error.message
        return _panel(request, "scheduling/calendar_booking.html", context)

    status = 422
    if form.is_valid():
        try:
            with transaction.atomic():
                patient = _booking_patient(request, form, patient_form)
                appointment = services.appointment_book(
                    employee_id=employee.pk,
                    starts_at=starts_at,
                    patient=patient,
                    source=AppointmentSource.CALENDAR,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    notes=form.cleaned_data["notes"].strip(),
                )
        except _PatientMissing:
            pass
        except ValidationError as error:
            errors_to_form(patient_form, error)
        except DomainError as error:
            context["error"] = error.message
            status = error.status_code
        else:
            return _appointment_panel(request, appointment, message=_("Umówiono wizytę."), changed=True)
    if form.is_valid() and (form.cleaned_data["patient"] or not patient_form.is_filled()):
        # The new patient's section was not used: show it empty rather than full of "required" errors.
        context["patient_form"] = NewPatientForm(cards_enabled=cards_enabled)
    return _panel(request, "scheduling/calendar_booking.html", context, status=status)


class _PatientMissing(Exception):
    """The booking form named no patient, or the new patient's form was invalid; the forms hold the errors."""


def _booking_patient(request, form, patient_form):
    patient_id = form.cleaned_data["patient"]
    if patient_id:
        return patient_for_user(user=request.user, patient_id=patient_id)
    if not patient_form.is_filled():
        form.add_error(None, _("Wybierz pacjenta z wyników wyszukiwania albo wypełnij sekcję „Nowy pacjent”."))
        raise _PatientMissing
    if not request.user.has_perm("patients.add_patient"):
        form.add_error(None, _("Nie masz uprawnień do zakładania kartotek pacjentów."))
        raise _PatientMissing
    if not patient_form.is_valid():
        raise _PatientMissing
    return patient_create(**patient_form.cleaned_data, actor=request.user, request=request)


@permission_required("scheduling.add_appointment", raise_exception=True)
@permission_required("patients.view_patient", raise_exception=True)
@require_POST
def calendar_patient_search(request):
    """Znajdź pacjenta: surname, PESEL, phone, or a scanned OSOZ card number when "Obsługa kart OSOZ" is on. POSTed,
    so what was typed reaches no URL and no access log."""
    query = request.POST.get("q", "")[:100].strip()
    patients = []
    if query:
        cards_enabled = selectors.booking_settings().osoz_cards_enabled
        patients = list(patients_search(user=request.user, query=query, cards_enabled=cards_enabled)[:SEARCH_LIMIT])
        shown = format_lazy(
            gettext_lazy("Wyświetlono wyniki wyszukiwania pacjenta w oknie umawiania (liczba pacjentów: {count})."),
            count=len(patients),
        )
        patients_viewed_record(patients=patients, message=shown, request=request)
    found = {"patients": patients, "query": query, "limit": SEARCH_LIMIT}
    if not request.htmx:
        # Sent before the page's script took the form over (or without it): the whole booking window again, with
        # what was found, rather than a bare list that loses the slot.
        return _panel(request, "scheduling/calendar_booking.html", {**_booking_context(request, request.POST), **found})
    return render(request, "scheduling/calendar_booking_patients.html", found)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def calendar_appointment(request, appointment_id):
    appointment = selectors.appointment_for_user(user=request.user, appointment_id=appointment_id)
    return _appointment_panel(request, appointment)


@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def calendar_confirm(request, appointment_id):
    appointment = selectors.appointment_for_user(user=request.user, appointment_id=appointment_id)
    try:
        appointment = services.appointment_confirm(appointment=appointment)
    except DomainError as error:
        return _appointment_panel(request, appointment, error=error.message, status=error.status_code)
    return _appointment_panel(request, appointment, message=_("Potwierdzono przybycie pacjenta."), changed=True)


@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def calendar_move(request, appointment_id):
    appointment = selectors.appointment_for_user(user=request.user, appointment_id=appointment_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _appointment_panel(request, appointment, move_form=form, status=422)
    try:
        appointment = services.appointment_move(
            appointment=appointment, starts_at=form.cleaned_data["starts_at"], actor=request.user
        )
    except DomainError as error:
        return _appointment_panel(request, appointment, move_form=form, error=error.message, status=error.status_code)
    return _appointment_panel(request, appointment, message=_("Przesunięto wizytę."), changed=True)


@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def calendar_cancel(request, appointment_id):
    appointment = selectors.appointment_for_user(user=request.user, appointment_id=appointment_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _appointment_panel(request, appointment, cancel_form=form, status=422)
    try:
        appointment = services.appointment_cancel(
            appointment=appointment,
            source=AppointmentSource.CALENDAR,
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except DomainError as error:
        return _appointment_panel(request, appointment, cancel_form=form, error=error.message, status=error.status_code)
    return _appointment_panel(request, appointment, message=_("Odwołano wizytę."), changed=True)


@permission_required("scheduling.add_removedslot", raise_exception=True)
@require_POST
def calendar_slot_remove(request):
    """Usuń termin: the free slot is blocked here and, for a schedule shared with OSOZ, there (CAL-5)."""
    employee, starts_at = _slot(request, request.POST)
    form = SlotRemoveForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        removed = services.slot_remove(employee_id=employee.pk, starts_at=starts_at, actor=request.user, reason=reason)
    except DomainError as error:
        context = {"error": error.message}
        return _panel(request, "scheduling/calendar_message.html", context, status=error.status_code)
    return _removed_panel(request, removed, message=_("Usunięto wolny termin."), changed=True)


@permission_required("scheduling.view_appointment", raise_exception=True)
@require_GET
def calendar_removed(request, removed_id):
    removed = selectors.calendar_removed_slot_for_user(user=request.user, removed_id=removed_id)
    return _removed_panel(request, removed)


@permission_required("scheduling.delete_removedslot", raise_exception=True)
@require_POST
def calendar_slot_restore(request, removed_id):
    removed = selectors.calendar_removed_slot_for_user(user=request.user, removed_id=removed_id)
    services.slot_restore(removed=removed)
    context = {"message": _("Przywrócono termin – jest znów wolny w kalendarzu.")}
    return _panel(request, "scheduling/calendar_message.html", context, changed=True)


def _slot(request, data) -> tuple:
    """The doctor (one this user may see, else 404) and the start a request names."""
    form = SlotForm(data)
    if not form.is_valid():
        raise Http404
    employee = selectors.employee_for_user(user=request.user, employee_id=form.cleaned_data["doctor"])
    return employee, datetime.fromtimestamp(form.cleaned_data["start"], UTC)


def _kinds_of(schedule: Schedule) -> list[str]:
    if schedule.televisit_only:
        return [AppointmentKind.TELEVISIT]
    if schedule.televisit_possible:
        return [AppointmentKind.VISIT, AppointmentKind.TELEVISIT]
    return [AppointmentKind.VISIT]


def _appointment_panel(
    request, appointment, *, message="", error="", move_form=None, cancel_form=None, changed=False, status=200
):
    user = request.user
    can_change = user.has_perm("scheduling.change_appointment")
    can_move = can_change and appointment.can_move()
    move_slots = []
    if can_move:
        now = timezone.now()
        first_day = max(timezone.localdate(now, timezone=WARSAW), appointment.starts_at.astimezone(WARSAW).date())
        free = selectors.free_slots(
            employee_ids=[appointment.employee_id],
            date_from=first_day,
            date_to=first_day + timedelta(days=MOVE_SLOTS_CALENDAR_DAYS),
            not_before=now,
        )
        move_slots = free.get(appointment.employee_id, [])[:MOVE_SLOTS_SHOWN]
    patients_viewed_record(
        patients=[appointment.patient],
        message=gettext_lazy("Wyświetlono dane pacjenta w oknie umówienia w kalendarzu."),
        request=request,
    )
    context = {
        "appointment": appointment,
        "message": message,
        "error": error,
        "can_view_patient": user.has_perm("patients.view_patient"),
        "can_confirm": can_change and appointment.can_confirm(),
        "can_move": can_move,
        "can_cancel": can_change and appointment.can_cancel(),
        "move_slots": [(slot.start, slot.starts_at.astimezone(WARSAW)) for slot in move_slots],
        "move_form": move_form or MoveForm(),
        "cancel_form": cancel_form or CancelForm(),
        "calendar_day_url": _calendar_url({"date": appointment.starts_at.astimezone(WARSAW).date().isoformat()}),
        "sections": sections_render("APPOINTMENT_PANEL_SECTIONS", request=request, appointment=appointment),
    }
    return _panel(request, "scheduling/calendar_appointment.html", context, changed=changed, status=status)


def _removed_panel(request, removed, *, message="", changed=False):
    context = {
        "removed": removed,
        "message": message,
        "can_restore": request.user.has_perm("scheduling.delete_removedslot"),
    }
    return _panel(request, "scheduling/calendar_removed.html", context, changed=changed)


def _panel(request, template, context, *, changed=False, status=200):
    """A window of the calendar: a fragment for htmx, which also hears that the grid changed; without htmx a
    change goes back to the calendar and anything else is shown on a page of its own."""
    if not request.htmx:
        if changed:
            return redirect("scheduling:calendar")
        return render(request, "scheduling/calendar_panel_page.html", {**context, "panel": template}, status=status)
    response = render(request, template, context, status=status)
    if changed:
        response["HX-Trigger"] = "calendar-changed"
    return response


def _calendar_url(query: dict) -> str:
    return f"{reverse('scheduling:calendar')}?{urlencode(query)}"


def _id_url_prefix(name: str) -> str:
    """A URL with its id left off, so the grid appends ids of many blocks without reversing each one."""
    url = reverse(name, args=[0])
    assert url.endswith("/0/"), url
    return url[: -len("0/")]
