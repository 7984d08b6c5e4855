"""The portal's booking pages (POR-1…POR-3): "Moje wizyty", "Umów nową wizytę" with its two paths (commercial, NFZ
through the referral question), the timetable, the held slot's confirmation, and cancelling a visit. Thin callers of
portal.booking; every page is the patient's own (patient_required), never a staff page."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from portal import booking
from portal.booking_forms import ReferralForm, SlotForm, TimetableForm
from portal.models import PortalCell
from portal.selectors import appointment_for_account
from portal.sessions import patient_required
from portal.visits import visits_unread
from scheduling.models import AppointmentKind
from scheduling.selectors import booking_settings

# What the booking remembers between the held slot and its confirmation, in the patient's portal session.
BOOKING_KEY = "portal_booking"
MODE_NFZ = "nfz"
MODE_COMMERCIAL = "komercyjna"


@patient_required
@require_GET
def home(request):
    """ "Moje wizyty"."""
    account = request.patient_account
    now = timezone.now()
    hours = booking_settings().portal_cancel_hours
    ahead, others = booking.portal_visits(account=account, now=now)
    unread = visits_unread(appointment_ids=[visit.pk for visit in [*ahead, *others]])
    for visit in [*ahead, *others]:
        visit.unread = unread.get(visit.pk, 0)
    context = {
        "ahead": [(visit, booking.portal_visit_cancellable(visit, now=now, hours=hours)) for visit in ahead],
        "others": others,
        "cancel_hours": hours,
    }
    return render(request, "portal/home.html", context)


@patient_required
@require_GET
def book(request):
    """ "Umów nową wizytę": "Wizyta komercyjna" or "Wizyta w ramach NFZ" (POR-1)."""
    return render(request, "portal/book.html")


@patient_required
@require_GET
def book_commercial(request):
    return _timetable(request, nfz=False)


@patient_required
@require_GET
def book_nfz(request):
    """NFZ: first "Wybór poradni" (POR-3)."""
    return render(request, "portal/book_nfz.html", {"cells": booking.portal_cells(nfz=True)})


def _nfz_cell(cell_id: int) -> PortalCell:
    """A poradnia offered under NFZ in the portal, else 404."""
    if not booking.portal_cells(nfz=True).filter(pk=cell_id).exists():
        raise Http404
    return get_object_or_404(PortalCell.objects.select_related("cell__location"), cell_id=cell_id)


@patient_required
@require_GET
def book_referral(request, cell_id: int):
    """NFZ: the referral question; an answer that lets the patient book leads to the timetable, "Nie mam
    skierowania" to a refusal with the way to a commercial visit."""
    portal_cell = _nfz_cell(cell_id)
    form = ReferralForm(request.GET if "skierowanie" in request.GET else None, portal_cell=portal_cell)
    refusal = ""
    if form.is_valid():
        referral = form.cleaned_data["skierowanie"]
        try:
            booking.referral_check(cell=portal_cell.cell, referral=referral)
        except DomainError as error:
            refusal = error.message
        else:
            url = reverse("portal:book_nfz_timetable", args=[cell_id])
            return redirect(f"{url}?{urlencode({'skierowanie': referral})}")
    context = {"portal_cell": portal_cell, "cell": portal_cell.cell, "form": form, "refusal": refusal}
    return render(request, "portal/book_referral.html", context)


@patient_required
@require_GET
def book_nfz_timetable(request, cell_id: int):
    portal_cell = _nfz_cell(cell_id)
    referral = request.GET.get("skierowanie", "")
    try:
        booking.referral_check(cell=portal_cell.cell, referral=referral)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal:book_referral", cell_id)
    return _timetable(request, nfz=True, cell=portal_cell.cell, referral=referral)


def _timetable(request, *, nfz: bool, cell=None, referral: str = ""):
    """The timetable with its filters (POR-2), a week a page; under NFZ with placówka and poradnia preselected
    (POR-3). htmx asks for the filters and the week again when a filter changes (their lists narrow), and for the
    week alone when the patient moves a week; without JavaScript the form reloads the page."""
    form = TimetableForm(request.GET, nfz=nfz, cell=cell)
    filters = form.filters()
    now = timezone.now()
    date_from = booking.timetable_start(filters["od"], now=now)

    def week(start):
        return booking.portal_timetable_html(
            nfz=nfz,
            kind=filters["kind"],
            date_from=start,
            account=request.patient_account,
            location_id=filters["location"],
            cell_id=filters["cell"],
            employee_id=filters["doctor"],
            now=now,
        )

    days_html = week(date_from)
    if not days_html and filters["od"] is None:  # no week asked for: the first with a free slot (on a Sunday,
        for ahead in range(1, booking.TIMETABLE_LOOKAHEAD_WEEKS + 1):  # this week is over)
            later = date_from + timedelta(weeks=ahead)
            if html := week(later):
                date_from, days_html = later, html
                break
    query = {key: value for key, value in request.GET.items() if key != "od" and value}
    one_week = timedelta(days=7)
    context = {
        "form": form,
        "nfz": nfz,
        "cell": cell,
        "referral": referral,
        "mode": MODE_NFZ if nfz else MODE_COMMERCIAL,
        "kind": filters["kind"],
        "days_html": days_html,
        "date_from": date_from,
        "date_to": date_from + timedelta(days=booking.TIMETABLE_DAYS - 1),
        "previous_url": (
            f"?{urlencode({**query, 'od': (date_from - one_week).isoformat()})}"
            if date_from > booking.timetable_start(None, now=now)
            else ""
        ),
        "next_url": f"?{urlencode({**query, 'od': (date_from + one_week).isoformat()})}",
        "back": request.get_full_path(),
    }
    if request.htmx:  # a week of the same filters (the week links), or the filters and their week (the form)
        partial = "timetable_slots" if request.htmx.target == "terminarz" else "timetable_body"
        return render(request, f"portal/{partial}.html", context)
    return render(request, "portal/timetable.html", context)


def _back(url: str) -> str:
    """Where a refused or cancelled choice returns: the timetable the patient chose from, never another site."""
    if url.startswith(reverse("portal:book")) and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return reverse("portal:book")


@patient_required
@require_POST
def book_hold(request):
    """A slot chosen in the timetable is held for the patient while he confirms it."""
    back = _back(request.POST.get("back", ""))
    form = SlotForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Wybierz termin z terminarza."))
        return redirect(back)
    referral = request.POST.get("skierowanie", "")
    try:
        booking.portal_hold_take(
            account=request.patient_account,
            employee_id=form.cleaned_data["employee_id"],
            starts_at=form.cleaned_data["starts_at"],
            kind=form.cleaned_data["kind"],
            nfz=request.POST.get("tryb") == MODE_NFZ,
            referral=referral,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    request.portal_session[BOOKING_KEY] = {"referral": referral, "back": back}
    return redirect("portal:book_confirm")


@patient_required
@require_http_methods(["GET", "POST"])
def book_confirm(request):
    """The held slot, the time left to confirm it, "Potwierdź wizytę" and "Anuluj"."""
    account = request.patient_account
    state = request.portal_session.get(BOOKING_KEY) or {}
    back = _back(state.get("back", ""))
    if request.method == "POST":
        try:
            booking.portal_booking_confirm(account=account, referral=state.get("referral", ""))
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(back)
        request.portal_session.pop(BOOKING_KEY, None)
        messages.success(request, _("Wizyta została umówiona. Potwierdzenie wysłaliśmy na Twój adres e-mail."))
        return redirect("portal:home")
    hold = booking.portal_hold(account=account)
    if hold is None:
        messages.error(request, _("Czas na potwierdzenie minął i termin został zwolniony. Wybierz termin ponownie."))
        return redirect(back)
    context = {
        "hold": hold,
        "schedule": hold.schedule,
        "televisit": hold.kind == AppointmentKind.TELEVISIT,
        "minutes_left": max(1, -(-int((hold.expires_at - timezone.now()).total_seconds()) // 60)),
        "back": back,
    }
    return render(request, "portal/book_confirm.html", context)


@patient_required
@require_POST
def book_release(request):
    """ "Anuluj" on the confirmation: the slot is free again at once."""
    booking.portal_hold_release(account=request.patient_account)
    state = request.portal_session.pop(BOOKING_KEY, None) or {}
    return redirect(_back(state.get("back", "")))


@patient_required
@require_POST
def visit_cancel(request, appointment_id: int):
    """ "Odwołaj wizytę": only the patient's own visit (any other id answers 404), until the clinic's cut-off."""
    account = request.patient_account
    appointment = appointment_for_account(account=account, appointment_id=appointment_id)
    try:
        booking.portal_visit_cancel(account=account, appointment=appointment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Wizyta została odwołana. Potwierdzenie wysłaliśmy na Twój adres e-mail."))
    return redirect("portal:home")
