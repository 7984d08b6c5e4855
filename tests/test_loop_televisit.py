"""The televisit link's way to the patient through the live sandbox (TV-8, SET-3, §14.1, §14.2, contract 1.5.0): the
Provider Service switches televisits on for the clinic and its doctor, the administrator obtains access with the
Provider Service password, a schedule marked „Możliwa telewizyta” lets a patient choose a televisit on the sandbox's
patient site, the product accepts it through the approval call with the patient's link, and the sandbox's
notifications outbox holds the confirmation e-mail with that link; a move by the clinic sends the new link (the old
one stops working)."""

import pytest
from django.urls import reverse

from devtools.sandbox import SANDBOX_LOGIN, ProviderService
from osoz_integration.models import OsozBooking, OsozBookingState
from osoz_integration.selectors import connection_get, outbox_pending
from osoz_integration.tests.osoz_bookings import keyed_clinic
from scheduling.models import Appointment, AppointmentKind
from scheduling.services import appointment_move
from televisit.services import televisit_patient_link
from tests.loop import BookingForm, at, connected_loop, drain, next_day, person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_specialisations")]


def emails(osoz, booking_id, subject: str) -> list[str]:
    return [
        n["body"]
        for n in osoz.notifications(booking_id)
        if n["channel"] == "email" and n["subject"] == subject and n["recipient"] != "rejestracja@przychodnia-demo.pl"
    ]


def test_a_televisit_booked_on_the_patient_site_is_emailed_with_its_link_and_a_move_sends_the_new_one(
    settings, client_for, alice, sandbox_server, asgi_live_server
):
    clinic = keyed_clinic()
    clinic.private.televisit_possible = True  # SCH-2 „Możliwa telewizyta”, published with the schedule
    clinic.private.save(update_fields=["televisit_possible"])
    loop = connected_loop(settings, client_for, alice, sandbox_server, callback_url=asgi_live_server.url, clinic=clinic)
    osoz = loop.osoz
    with ProviderService(sandbox_server.url) as provider:
        provider.televisit_enable(str(clinic.doctor.pk))
    assert client_for(alice).post(reverse("osoz_integration:televisit_access"), {"password": SANDBOX_LOGIN[1]})
    assert connection_get().televisit_access_active

    starts_at = at(next_day(0), 9)
    form = BookingForm(osoz, clinic.private, starts_at)
    assert "Telewizyta (wizyta on-line)" in form.text and "Akceptuję regulamin telewizyty" in form.text
    patient = person("Teresa", "Zdalna", female=True)
    booked = form.submit(patient, kind="televisit", televisit_terms_accepted="on")
    assert booked.token, booked.errors
    assert booked.heading == "Wizyta została umówiona"

    appointment = Appointment.objects.get(patient__pesel=patient.pesel)
    assert (appointment.kind, appointment.starts_at) == (AppointmentKind.TELEVISIT, starts_at)
    record = OsozBooking.objects.get(appointment=appointment)
    assert (record.state, record.osoz_state) == (OsozBookingState.ACCEPTED, OsozBookingState.ACCEPTED)
    link = televisit_patient_link(appointment=appointment)
    assert link.startswith(f"{settings.PORADNIA_PUBLIC_URL}/")
    (remote,) = osoz.rows(
        "SELECT kind, televisit_url FROM osoz_sandbox_booking WHERE booking_id = ?", record.booking_id.hex
    )
    assert remote == {"kind": "televisit", "televisit_url": link}
    (confirmation,) = emails(osoz, record.booking_id, "Wizyta umówiona")
    assert f"odpowiednio wcześniej przed wizytą (około 5 minut):\n{link}\n" in confirmation
    assert patient.email in [n["recipient"] for n in osoz.notifications(record.booking_id)]

    moved = appointment_move(appointment=appointment, starts_at=at(next_day(0), 10), actor=alice)
    drain()
    assert not outbox_pending().exists()
    new_link = televisit_patient_link(appointment=moved)
    assert new_link != link
    (notice,) = emails(osoz, record.booking_id, "Zmiana terminu wizyty")
    assert new_link in notice and link not in notice
    (remote,) = osoz.rows("SELECT televisit_url FROM osoz_sandbox_booking WHERE booking_id = ?", record.booking_id.hex)
    assert remote["televisit_url"] == new_link
