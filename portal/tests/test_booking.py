"""Booking in the portal through its pages (POR-1…POR-3): "Moje wizyty", the two paths of "Umów nową wizytę", the
timetable's filters, the held slot's confirmation, cancelling with the cut-off, and what another patient cannot do."""

import re
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail

from conftest import TESTS_NOW
from core.models import AuditEvent
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from portal.booking import REFERRAL_NOTES, Referral
from portal.tests.booking_setup import DAY, account_make, at, offer_make, portal_client, slot_value
from scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    BookingSettings,
    SlotHold,
    WaitingListEntry,
)
from scheduling.services import appointment_book
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

COMMERCIAL = "/portal/umow/komercyjna/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def hold(client, employee, starts_at, *, kind="visit", mode="komercyjna", referral="", back=COMMERCIAL):
    data = {"slot": slot_value(employee, starts_at), "kind": kind, "tryb": mode, "back": back}
    if referral:
        data["skierowanie"] = referral
    return client.post("/portal/umow/termin/", data)


def nfz_timetable(offer, referral=Referral.HAVE) -> str:
    return f"/portal/umow/nfz/{offer.cell.pk}/terminarz/?{urlencode({'skierowanie': referral})}"


# --- Pages and access ----------------------------------------------------------------------------------------------


def test_booking_pages_need_a_patient_login(offer, client):
    for url in ("/portal/", "/portal/umow/", COMMERCIAL, f"/portal/umow/nfz/{offer.cell.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/logowanie/")


def test_an_account_not_linked_to_a_record_is_sent_to_link_it(offer):
    account = account_make("nowy@example.com")
    account.patient = None
    account.save()
    response = portal_client(account).get(COMMERCIAL)
    assert response.status_code == 302
    assert response["Location"] == "/portal/polacz-z-karta/"


def test_a_staff_login_does_not_open_the_portal(offer, client_for, alice):
    response = client_for(alice).get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/logowanie/")


def test_home_lists_the_visits_ahead_and_behind(offer, anna):
    ahead = AppointmentFactory(
        schedule=offer.video_schedule,
        patient=anna.patient,
        starts_at=at(10),
        ends_at=at(10, 20),
        kind=AppointmentKind.TELEVISIT,
        source=AppointmentSource.PORTAL,
    )
    behind = AppointmentFactory(
        schedule=offer.nfz_schedule,
        patient=anna.patient,
        starts_at=at(8, day=DAY - timedelta(days=8)),
        ends_at=at(8, 20, day=DAY - timedelta(days=8)),
    )
    AppointmentFactory(schedule=offer.clinic_schedule, starts_at=at(11), ends_at=at(11, 20))  # another patient's

    response = portal_client(anna).get("/portal/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Umów nową wizytę" in html
    assert html.count("<h3>") == 2
    assert "02.12.2026, godz. 10:00" in html
    assert "Videokonsultacja · komercyjna" in html
    assert "24.11.2026, godz. 08:00" in html
    assert "Wizyta w placówce · NFZ" in html
    assert f"/portal/wizyty/{ahead.pk}/" in html and f"/portal/wizyty/{behind.pk}/" in html
    assert html.count("Odwołaj wizytę") == 1
    assert "11:00" not in html


def test_book_offers_the_two_modes_of_the_seed_text(anna):
    html = portal_client(anna).get("/portal/umow/").content.decode()
    assert "Wizyta komercyjna" in html and "/portal/umow/komercyjna/" in html
    assert "Wizyta w ramach NFZ" in html and "/portal/umow/nfz/" in html


# --- The commercial timetable (POR-2) ------------------------------------------------------------------------------


def test_the_commercial_timetable_has_the_four_filters_and_only_commercial_slots(offer, anna, clock):
    clock.shift(60)  # 09:01: the 09:00 slot has begun, whatever the ticking clock read when the page was asked for
    response = portal_client(anna).get(COMMERCIAL)

    html = response.content.decode()
    for label in ("Wybór placówki", "Wybór poradni", "Wybór rodzaju wizyty", "Wybór lekarza"):
        assert label in html
    assert "Wizyta w placówce" in html and "Videokonsultacja" in html
    assert "30.11.2026 – 06.12.2026" in html  # the week from this Monday
    assert slot_value(offer.clinic_doctor, at(10)) in html
    assert slot_value(offer.video_doctor, at(10)) in html
    assert slot_value(offer.nfz_doctor, at(10)) not in html
    assert slot_value(offer.clinic_doctor, at(9, day=TESTS_NOW.date())) not in html  # past
    assert slot_value(offer.clinic_doctor, at(9, 20, day=TESTS_NOW.date())) in html


def test_the_videokonsultacja_filter_keeps_the_doctors_who_offer_it(offer, anna):
    response = portal_client(anna).get(COMMERCIAL, {"kind": "televisit"})

    html = response.content.decode()
    assert slot_value(offer.video_doctor, at(10)) in html
    assert slot_value(offer.clinic_doctor, at(10)) not in html  # his schedule allows it, the portal does not
    assert '<input type="hidden" name="kind" value="televisit">' in html


def test_videokonsultacje_need_the_poradnia_to_offer_them(offer, anna):
    offer.portal_cell.videoconsultation = False
    offer.portal_cell.save()
    html = portal_client(anna).get(COMMERCIAL, {"kind": "televisit"}).content.decode()
    assert "Brak wolnych terminów" in html


def test_the_doctor_filter_and_htmx_fragments(offer, anna):
    client = portal_client(anna)
    query = {"doctor": offer.video_doctor.pk}

    week = client.get(COMMERCIAL, query, headers={"HX-Request": "true", "HX-Target": "terminarz"}).content.decode()
    assert '<form method="get"' not in week  # a week link: the slots alone
    assert slot_value(offer.video_doctor, at(10)) in week
    assert slot_value(offer.clinic_doctor, at(10)) not in week

    changed = client.get(COMMERCIAL, query, headers={"HX-Request": "true", "HX-Target": "terminarz-filtry"})
    html = changed.content.decode()
    assert '<form method="get"' in html and "<h1>" not in html  # a filter changed: the filters and the week
    assert slot_value(offer.video_doctor, at(10)) in html


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_each_filter_narrows_the_lists_after_it(offer, anna):
    other = offer_make()  # a second dermatology with its own three doctors, in another placówka
    client = portal_client(anna)

    html = client.get(COMMERCIAL).content.decode()
    assert len(options(html, "doctor")) == 1 + 4  # "Wszyscy lekarze" and the commercial doctors of both
    html = client.get(COMMERCIAL, {"location": offer.cell.location_id}).content.decode()
    assert options(html, "cell") == ["Wszystkie", f"Poradnia dermatologiczna ({offer.cell.location.name})"]
    assert options(html, "doctor") == ["Wszyscy lekarze", "lek. Patrycja Placówkowa", "lek. Wiktor Wideo"]
    html = client.get(COMMERCIAL, {"kind": "televisit"}).content.decode()
    assert options(html, "doctor") == ["Wszyscy lekarze", "lek. Wiktor Wideo", "lek. Wiktor Wideo"]

    # The placówka changed while the first one's poradnia was chosen: that poradnia narrows nothing any more.
    html = client.get(COMMERCIAL, {"location": other.cell.location_id, "cell": offer.cell.pk}).content.decode()
    assert options(html, "doctor") == ["Wszyscy lekarze", "lek. Patrycja Placówkowa", "lek. Wiktor Wideo"]
    assert slot_value(other.clinic_doctor, at(10)) in html and slot_value(offer.clinic_doctor, at(10)) not in html

    # A doctor of the first poradnia, then the other poradnia chosen: the doctor no longer counts, the poradnia does.
    html = client.get(COMMERCIAL, {"doctor": offer.video_doctor.pk, "cell": other.cell.pk}).content.decode()
    assert slot_value(other.clinic_doctor, at(10)) in html
    assert slot_value(offer.video_doctor, at(10)) not in html


def test_a_poradnia_not_offered_commercially_is_not_shown(offer, anna):
    offer.portal_cell.commercial = False
    offer.portal_cell.save()
    html = portal_client(anna).get(COMMERCIAL).content.decode()
    assert "Brak wolnych terminów" in html
    assert "Poradnia dermatologiczna" not in html


def test_week_navigation_moves_the_window_never_into_the_past(offer, anna):
    client = portal_client(anna)
    html = client.get(COMMERCIAL).content.decode()
    assert "Poprzedni tydzień" not in html
    assert "od=2026-12-07" in html

    html = client.get(COMMERCIAL, {"od": "2026-12-07"}).content.decode()
    assert "07.12.2026 – 13.12.2026" in html
    assert "od=2026-11-30" in html

    html = client.get(COMMERCIAL, {"od": "2020-01-01"}).content.decode()
    assert "30.11.2026 – 06.12.2026" in html


def test_without_a_week_asked_for_the_timetable_opens_on_the_first_with_a_free_slot(offer, anna, clock):
    clock.move_to(datetime(2026, 12, 6, 20, tzinfo=WARSAW))  # Sunday evening: this week is over
    html = portal_client(anna).get(COMMERCIAL).content.decode()
    assert "07.12.2026 – 13.12.2026" in html
    assert slot_value(offer.clinic_doctor, at(8, day=DAY + timedelta(days=5))) in html  # Monday 7 December
    assert "od=2026-11-30" in html  # back to this week, if he wants to see it

    html = portal_client(anna).get(COMMERCIAL, {"od": "2026-11-30"}).content.decode()
    assert "Brak wolnych terminów" in html  # the week asked for is shown as it is


# --- NFZ: poradnia, the referral question, the timetable (POR-3) ---------------------------------------------------


def test_nfz_starts_with_the_choice_of_poradnia(offer, anna):
    other = offer_make()
    other.portal_cell.nfz = False
    other.portal_cell.save()
    html = portal_client(anna).get("/portal/umow/nfz/").content.decode()
    assert "Wybór poradni" in html
    assert f"/portal/umow/nfz/{offer.cell.pk}/" in html
    assert f"/portal/umow/nfz/{other.cell.pk}/" not in html
    assert portal_client(anna).get(f"/portal/umow/nfz/{other.cell.pk}/").status_code == 404


def test_the_referral_question_offers_the_answers_that_fit(offer, anna):
    client = portal_client(anna)
    html = client.get(f"/portal/umow/nfz/{offer.cell.pk}/").content.decode()
    for answer in ("Mam skierowanie do tej poradni", "Kontynuuję leczenie w tej poradni", "Nie mam skierowania"):
        assert answer in html
    assert "Ta poradnia nie wymaga skierowania" not in html

    offer.portal_cell.referral_required = False
    offer.portal_cell.save()
    assert "Ta poradnia nie wymaga skierowania" in client.get(f"/portal/umow/nfz/{offer.cell.pk}/").content.decode()


@pytest.mark.parametrize("answer", [Referral.HAVE, Referral.CONTINUE])
def test_an_answer_that_allows_booking_leads_to_the_preselected_timetable(offer, anna, answer):
    client = portal_client(anna)
    response = client.get(f"/portal/umow/nfz/{offer.cell.pk}/", {"skierowanie": answer})
    assert response.status_code == 302
    assert response["Location"] == nfz_timetable(offer, answer)

    html = client.get(response["Location"]).content.decode()
    assert "Wybór placówki" in html and "Wybór poradni" in html
    assert f'<option value="{offer.cell.pk}" selected>' in html
    assert f'<option value="{offer.cell.location.pk}" selected>' in html
    assert slot_value(offer.nfz_doctor, at(10)) in html
    assert slot_value(offer.clinic_doctor, at(10)) not in html
    assert f'name="skierowanie" value="{answer}"' in html


def test_no_referral_is_refused_with_the_way_to_a_commercial_visit(offer, anna):
    response = portal_client(anna).get(f"/portal/umow/nfz/{offer.cell.pk}/", {"skierowanie": Referral.NONE})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bez skierowania nie umówisz się w tej poradni na wizytę w ramach NFZ" in html
    assert f"/portal/umow/komercyjna/?cell={offer.cell.pk}" in html


def test_not_required_is_refused_where_the_poradnia_requires_one(offer, anna):
    client = portal_client(anna)
    response = client.get(f"/portal/umow/nfz/{offer.cell.pk}/", {"skierowanie": Referral.NOT_REQUIRED})
    assert response.status_code == 200
    assert "Wybierz poprawną wartość" in response.content.decode()
    # The timetable's address tampered with sends back to the question.
    response = client.get(nfz_timetable(offer, Referral.NOT_REQUIRED))
    assert response["Location"] == f"/portal/umow/nfz/{offer.cell.pk}/"
    assert messages_of(response) == ["Wybierz odpowiedź na pytanie o skierowanie."]


def test_not_required_leads_on_where_the_poradnia_requires_none(anna):
    offer = offer_make(referral_required=False)
    response = portal_client(anna).get(f"/portal/umow/nfz/{offer.cell.pk}/", {"skierowanie": Referral.NOT_REQUIRED})
    assert response["Location"] == nfz_timetable(offer, Referral.NOT_REQUIRED)


# --- Holding and confirming ----------------------------------------------------------------------------------------


def test_choosing_a_slot_holds_it_and_confirming_books_it(offer, anna, django_capture_on_commit_callbacks):
    client = portal_client(anna)
    response = hold(client, offer.video_doctor, at(10), kind="televisit", back=f"{COMMERCIAL}?kind=televisit")
    assert response["Location"] == "/portal/umow/potwierdz/"
    assert SlotHold.objects.get().holder == f"portal:{anna.pk}"

    html = client.get("/portal/umow/potwierdz/").content.decode()
    assert "Potwierdź wizytę" in html and "Anuluj" in html
    assert "do 09:05 (jeszcze 5 min)" in html
    assert "Videokonsultacja · komercyjna" in html
    assert "lek. Wiktor Wideo" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/umow/potwierdz/")
    assert response["Location"] == "/portal/"
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.employee, appointment.starts_at) == (
        anna.patient,
        offer.video_doctor,
        at(10),
    )
    assert appointment.source == AppointmentSource.PORTAL
    assert appointment.kind == AppointmentKind.TELEVISIT
    assert not appointment.is_nfz
    assert appointment.booked_by_label == "Portal Pacjenta"
    assert not SlotHold.objects.exists()
    assert messages_of(response) == ["Wizyta została umówiona. Potwierdzenie wysłaliśmy na Twój adres e-mail."]
    [message] = mail.outbox
    assert message.to == ["anna@example.com"]
    assert "02.12.2026" in message.subject
    assert "godz. 10:00" in message.body and "Miejsce: Videokonsultacja" in message.body
    assert "lek. Wiktor Wideo" in message.body
    assert anna.patient.pesel not in message.body


def test_an_nfz_booking_carries_the_referral_answer_for_the_reception(offer, anna, django_capture_on_commit_callbacks):
    appointment_book(  # not a first-time patient of the poradnia (SET-1)
        employee_id=offer.nfz_doctor.pk,
        starts_at=at(8, day=DAY + timedelta(days=7)),
        patient=anna.patient,
        source=AppointmentSource.CALENDAR,
    )
    client = portal_client(anna)
    back = nfz_timetable(offer, Referral.CONTINUE)
    response = hold(client, offer.nfz_doctor, at(10), mode="nfz", referral=Referral.CONTINUE, back=back)
    assert response["Location"] == "/portal/umow/potwierdz/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/umow/potwierdz/")

    appointment = Appointment.objects.get(starts_at=at(10))
    assert appointment.is_nfz
    assert appointment.notes == "Portal pacjenta: pacjent deklaruje kontynuację leczenia w tej poradni."
    assert appointment.notes == str(REFERRAL_NOTES[Referral.CONTINUE])
    assert "Miejsce: " in mail.outbox[0].body and "w ramach NFZ" in mail.outbox[0].body


def test_a_first_time_nfz_patient_gets_the_set1_refusal(offer, anna):
    back = nfz_timetable(offer)
    response = hold(portal_client(anna), offer.nfz_doctor, at(10), mode="nfz", referral=Referral.HAVE, back=back)

    assert response["Location"] == back
    assert messages_of(response) == [
        "Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ samodzielnie. Prosimy o kontakt z placówką"
    ]
    assert not SlotHold.objects.exists() and not Appointment.objects.exists()


def test_a_first_time_nfz_patient_is_queued_where_set1_allows_it(offer, anna):
    BookingSettings.objects.update_or_create(id=1, defaults={"nfz_first_time_online": True})
    client = portal_client(anna)
    hold(client, offer.nfz_doctor, at(10), mode="nfz", referral=Referral.HAVE, back=nfz_timetable(offer))
    client.post("/portal/umow/potwierdz/")
    appointment = Appointment.objects.get()
    assert WaitingListEntry.objects.get().appointment == appointment


def test_an_nfz_slot_needs_an_accepted_referral_answer(offer, anna):
    BookingSettings.objects.update_or_create(id=1, defaults={"nfz_first_time_online": True})
    response = hold(portal_client(anna), offer.nfz_doctor, at(10), mode="nfz", referral=Referral.NONE)
    assert "Bez skierowania" in messages_of(response)[0]
    assert not SlotHold.objects.exists()


def test_a_slot_of_the_other_mode_or_not_offered_is_refused(offer, anna, erin_schedule):
    refused = "Tego terminu nie można umówić w Portalu Pacjenta. Wybierz termin z terminarza."
    cases = [
        hold(portal_client(anna), offer.nfz_doctor, at(10)),  # an NFZ slot through the commercial path
        hold(portal_client(anna), offer.clinic_doctor, at(10), kind="televisit"),  # a videoconsultation not offered
        hold(portal_client(anna), erin_schedule.employee, at(10)),  # a doctor the portal does not offer
    ]
    client = portal_client(anna)
    for response in cases:
        assert response["Location"] == COMMERCIAL
        assert messages_of(response) == [refused]
    response = client.post("/portal/umow/termin/", {"slot": "x:1", "kind": "visit", "back": "https://evil.example/"})
    assert response["Location"] == "/portal/umow/"
    assert messages_of(response) == ["Wybierz termin z terminarza."]
    assert not SlotHold.objects.exists()


def test_a_slot_held_by_another_patient_is_taken(offer, anna, piotr):
    hold(portal_client(piotr), offer.clinic_doctor, at(10))
    back = f"{COMMERCIAL}?doctor={offer.clinic_doctor.pk}"

    client = portal_client(anna)
    response = hold(client, offer.clinic_doctor, at(10), back=back)

    assert response["Location"] == back
    assert messages_of(response)[0].startswith("Ten termin jest już zajęty")
    assert slot_value(offer.clinic_doctor, at(10)) not in client.get(back).content.decode()
    assert slot_value(offer.clinic_doctor, at(10)) in portal_client(piotr).get(back).content.decode()
    assert SlotHold.objects.get().holder == f"portal:{piotr.pk}"


def test_anuluj_releases_the_hold(offer, anna):
    client = portal_client(anna)
    back = f"{COMMERCIAL}?doctor={offer.clinic_doctor.pk}"
    hold(client, offer.clinic_doctor, at(10), back=back)

    response = client.post("/portal/umow/anuluj/")

    assert response["Location"] == back
    assert not SlotHold.objects.exists()


def test_a_lapsed_hold_cannot_be_confirmed(offer, anna, piotr):
    client = portal_client(anna)
    hold(client, offer.clinic_doctor, at(10))
    with time_machine.travel(TESTS_NOW + timedelta(minutes=6), tick=False):
        hold(portal_client(piotr), offer.clinic_doctor, at(10))  # the slot is free again for others
        response = client.post("/portal/umow/potwierdz/")
        assert messages_of(response) == [
            "Czas na potwierdzenie minął i termin został zwolniony. Wybierz termin ponownie."
        ]
        assert client.get("/portal/umow/potwierdz/")["Location"] == COMMERCIAL
    assert not Appointment.objects.exists()
    assert SlotHold.objects.filter(holder=f"portal:{piotr.pk}").exists()


def test_another_patient_cannot_confirm_or_release_someone_elses_hold(offer, anna, piotr):
    hold(portal_client(anna), offer.clinic_doctor, at(10))
    intruder = portal_client(piotr)

    response = intruder.post("/portal/umow/potwierdz/")
    assert "Czas na potwierdzenie minął" in messages_of(response)[0]
    intruder.post("/portal/umow/anuluj/")

    assert not Appointment.objects.exists()
    assert SlotHold.objects.get().holder == f"portal:{anna.pk}"


def test_a_slot_booked_meanwhile_by_reception_is_taken_at_confirmation(offer, anna, piotr):
    """The booking is rechecked at confirmation: a hold that lapsed while the reception booked the time is gone."""
    client = portal_client(anna)
    hold(client, offer.clinic_doctor, at(10))
    with time_machine.travel(TESTS_NOW + timedelta(minutes=6), tick=False):
        appointment_book(
            employee_id=offer.clinic_doctor.pk,
            starts_at=at(10),
            patient=piotr.patient,
            source=AppointmentSource.CALENDAR,
        )
        response = client.post("/portal/umow/potwierdz/")
    assert response.status_code == 302
    assert Appointment.objects.get().patient == piotr.patient


# --- Cancelling ----------------------------------------------------------------------------------------------------


def booked(offer, account, starts_at):
    return appointment_book(
        employee_id=offer.clinic_doctor.pk, starts_at=starts_at, patient=account.patient, source="portal"
    )


def test_the_patient_cancels_his_visit_before_the_cut_off(offer, anna, django_capture_on_commit_callbacks):
    appointment = booked(offer, anna, at(10, day=DAY + timedelta(days=1)))

    with django_capture_on_commit_callbacks(execute=True):
        response = portal_client(anna).post(f"/portal/wizyty/{appointment.pk}/odwolaj/")

    assert response["Location"] == "/portal/"
    assert messages_of(response) == ["Wizyta została odwołana. Potwierdzenie wysłaliśmy na Twój adres e-mail."]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancel_source == AppointmentSource.PORTAL
    assert appointment.cancelled_by_label == "Portal Pacjenta"
    [message] = mail.outbox
    assert message.to == ["anna@example.com"] and message.subject == "Odwołana wizyta 03.12.2026 10:00"


def test_after_the_cut_off_the_patient_is_asked_to_call(offer, anna):
    appointment = booked(offer, anna, at(10))  # tomorrow at 10: 25 hours ahead
    BookingSettings.objects.update_or_create(id=1, defaults={"portal_cancel_hours": 48})

    client = portal_client(anna)
    assert "Odwołaj wizytę" not in client.get("/portal/").content.decode()
    response = client.post(f"/portal/wizyty/{appointment.pk}/odwolaj/")

    assert messages_of(response) == [
        "Wizytę można odwołać w Portalu Pacjenta najpóźniej 48 godz. przed jej początkiem. Prosimy o telefon do "
        f"placówki: {offer.cell.phone}."
    ]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert not mail.outbox


def test_a_cancelled_visit_cannot_be_cancelled_again(offer, anna, django_capture_on_commit_callbacks):
    appointment = booked(offer, anna, at(10, day=DAY + timedelta(days=1)))
    with django_capture_on_commit_callbacks(execute=True):
        portal_client(anna).post(f"/portal/wizyty/{appointment.pk}/odwolaj/")
        response = portal_client(anna).post(f"/portal/wizyty/{appointment.pk}/odwolaj/")
    assert messages_of(response) == ["Tej wizyty nie można już odwołać."]
    assert len(mail.outbox) == 1


def test_another_patient_cannot_cancel_a_visit_by_its_id(offer, anna, piotr):
    appointment = booked(offer, anna, at(10, day=DAY + timedelta(days=1)))

    response = portal_client(piotr).post(f"/portal/wizyty/{appointment.pk}/odwolaj/")

    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert portal_client(piotr).get(f"/portal/wizyty/{appointment.pk + 1000}/odwolaj/").status_code == 405


def test_the_cut_off_is_set_in_ustawienia_ogolne(client_for, alice):
    client = client_for(alice)
    html = client.get("/kalendarz/ustawienia/ogolne/").content.decode()
    assert "Odwołanie w Portalu Pacjenta najpóźniej (godz. przed wizytą)" in html

    response = client.post("/kalendarz/ustawienia/ogolne/", {"portal_cancel_hours": "12"})

    assert response.status_code == 302
    assert BookingSettings.objects.get().portal_cancel_hours == 12
    entry = AuditEvent.objects.filter(action="booking_settings_changed").latest("pk")
    assert entry.message == "Zmieniono ustawienie „Odwołanie w Portalu Pacjenta najpóźniej (godz. przed wizytą)” na 12."


def test_a_cut_off_out_of_range_is_refused(client_for, alice):
    response = client_for(alice).post("/kalendarz/ustawienia/ogolne/", {"portal_cancel_hours": "-3"})
    assert response.status_code == 200
    assert BookingSettings.objects.get_or_create(id=1)[0].portal_cancel_hours == 24


def test_patient_factory_is_not_the_account(anna):
    """Sanity of the setup: each account has its own record."""
    assert anna.patient != PatientFactory()
