"""Infolinia ubezpieczyciela (manual §12, contract 1.4.0): an insurer's call centre books its insured patients into
the schedules clinics share with it, ordering a service of its price list and, if it wants, issuing a referral; and it
sees its bookings with their referrals both ways. A sandbox tool like the OSOZ operator's page: no login."""

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from osoz_sandbox import bookings, insurers, price_lists, selectors
from osoz_sandbox.contract import parse_date
from osoz_sandbox.forms import CallCentreBookingForm
from osoz_sandbox.models import Booking, BookingChannel, BookingStatus, Insurer
from osoz_sandbox.views import slot_moment

CALLCENTRE_DAYS = 7
BOOKINGS_SHOWN = 200
STATUS_MESSAGES = {
    BookingStatus.ACCEPTED: "Placówka potwierdziła wizytę.",
    BookingStatus.REJECTED: "Placówka odrzuciła rezerwację.",
    BookingStatus.PENDING: "Rezerwacja czeka na potwierdzenie placówki.",
}


def _timetable(card: selectors.DoctorCard, schedule_id: str, date_from: datetime.date) -> list[selectors.TimetableDay]:
    """The free slots of one schedule, as the insurer's view of the doctor offers them."""
    return [
        selectors.TimetableDay(day.date, [slot for slot in day.slots if slot.schedule.schedule_id == schedule_id])
        for day in selectors.doctor_timetable(card, date_from=date_from, days=CALLCENTRE_DAYS)
    ]


@require_http_methods(["GET", "POST"])
def insurer_callcentre(request: HttpRequest, osoz_id: str) -> HttpResponse:
    """Step by step in the query string: the clinic (?placowka=), the schedule it shares (&harmonogram=), the week
    (&od=), the slot (&termin=); then the form, which books through bookings.booking_create like every channel."""
    insurer = get_object_or_404(Insurer, osoz_id=osoz_id)
    entities = list(insurers.callcentre_entities(insurer))
    context = {"insurer": insurer, "entities": entities}
    template = "osoz_sandbox/insurer_callcentre.html"
    entity = next((e for e in entities if e.entity_id == request.GET.get("placowka")), None)
    if entity is None:
        return render(request, template, context)
    cards = selectors.insurer_doctors(entity=entity, payer_id=insurer.osoz_id)
    shared = [
        (card, schedule, place) for card in cards for schedule, place in selectors.offered_schedules(card).values()
    ]
    context.update(entity=entity, shared=shared)
    chosen = next((row for row in shared if row[1].schedule_id == request.GET.get("harmonogram")), None)
    if chosen is None:
        return render(request, template, context)
    card, schedule, place = chosen
    today = timezone.localdate()
    date_from = max(parse_date(request.GET.get("od", "")) or today, today)
    group_ids = schedule.payer_group_ids(insurer.osoz_id)
    services = price_lists.payer_services(entity=entity, payer_id=insurer.osoz_id, group_ids=group_ids)
    context.update(
        card=card,
        schedule=schedule,
        place=place,
        services=services,
        timetable=_timetable(card, schedule.schedule_id, date_from),
        previous=date_from - datetime.timedelta(days=CALLCENTRE_DAYS) if date_from > today else None,
        next=date_from + datetime.timedelta(days=CALLCENTRE_DAYS),
    )
    moment = request.GET.get("termin", "")
    starts_at = slot_moment(moment)
    offered = selectors.offered_slot(card, schedule_id=schedule.schedule_id, starts_at=starts_at) if starts_at else None
    if offered is None:
        context["slot_gone"] = bool(moment)
        return render(request, template, context, status=409 if moment and request.method == "POST" else 200)
    form = CallCentreBookingForm(
        request.POST if request.method == "POST" else None,
        offered=offered,
        services=services,
        referral_services=price_lists.payer_services(entity=entity, payer_id=insurer.osoz_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            booking, _token = bookings.booking_create(form.booking_request(insurer=insurer))
        except bookings.BookingRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                f"Zarezerwowano wizytę pacjenta {booking.patient_name}. {STATUS_MESSAGES[booking.status]}",
            )
            return redirect(f"{reverse('insurer_bookings', args=[osoz_id])}#rezerwacja-{booking.booking_id}")
    context.update(offered=offered, form=form)
    return render(request, template, context)


def insurer_bookings(request: HttpRequest, osoz_id: str) -> HttpResponse:
    """The insurer's bookings at every clinic, newest first, with their state and the referrals both ways: those it
    issued and those the clinics sent it (PUT /api/v1/referrals/{id})."""
    insurer = get_object_or_404(Insurer, osoz_id=osoz_id)
    found = (
        Booking.objects.filter(channel=BookingChannel.INSURER, payer_order__insurer=insurer)
        .select_related("entity", "payer_order")
        .prefetch_related("referrals")[:BOOKINGS_SHOWN]
    )
    rows = [(booking, selectors.booking_doctor_name(booking)) for booking in found]
    return render(request, "osoz_sandbox/insurer_bookings.html", {"insurer": insurer, "rows": rows})
