"""Videoporady, the patients' instructions (portal.guide): open to anybody, the poradnie read from the portal's offer,
the same text as a PDF."""

import pytest
from django.test import Client

from portal.guide import guide_blocks, video_poradnie
from portal.offer import portal_offer_save
from portal.tests.booking_setup import account_make, offer_make, portal_client

pytestmark = pytest.mark.django_db


def test_anybody_reads_the_instructions_with_the_poradnie_the_administrator_opened():
    offer = offer_make()
    html = Client().get("/portal/videoporady/").content.decode()

    location = offer.cell.location.name
    # Its videoconsultations are held by one of its two doctors with schedules.
    assert f"Poradnia dermatologiczna ({location}), nie wszyscy lekarze" in html
    for words in (
        "komputer, laptop lub tablet wyposażony w kamerę i mikrofon",
        "„Umów nową wizytę”",
        "„Wizyta komercyjna” lub „Wizyta w ramach NFZ”",
        "Wybór placówki (jest wstępnie wybrane)",
        "Wybór rodzaju wizyty",
        "wybierz „Videokonsultacja”",
        "działa od 5 minut przed jej początkiem",
        "na 5 minut",
        "po prawej stronie ekranu",
        "zarówno przed, jak i po Videokonsultacji",
        'href="/portal/videoporady/instrukcja.pdf"',
        'href="/portal/logowanie/"',
    ):
        assert words in html, words


def test_all_doctors_holding_them_and_none_at_all(alice):
    offer = offer_make()
    flags = {"commercial": True, "nfz": True, "referral_required": True, "videoconsultation": True}
    both = {(offer.cell.pk, offer.video_doctor.pk): True, (offer.cell.pk, offer.clinic_doctor.pk): True}
    portal_offer_save(cells={offer.cell.pk: flags}, doctors=both, actor=alice)
    offer.nfz_doctor.is_medical = False  # the poradnia's third member is not a doctor
    offer.nfz_doctor.save()
    assert [str(poradnia) for poradnia in video_poradnie()] == [
        f"Poradnia dermatologiczna ({offer.cell.location.name})"
    ]

    portal_offer_save(cells={offer.cell.pk: {**flags, "videoconsultation": False}}, doctors=both, actor=alice)
    html = Client().get("/portal/videoporady/").content.decode()
    assert "W obecnej chwili żadna poradnia nie prowadzi Videokonsultacji." in html


def test_the_minutes_follow_the_settings(settings):
    settings.PORTAL_HOLD_MINUTES = 1
    settings.PORTAL_CONNECT_MINUTES_BEFORE = 3
    text = " ".join(block.text for block in guide_blocks([]))
    assert "na 1 minutę:" in text
    assert "działa od 3 minut przed" in text


def test_the_pdf_is_the_same_text_to_download_or_print():
    offer_make()
    response = Client().get("/portal/videoporady/instrukcja.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="videoporady-instrukcja.pdf"'
    assert response.content.startswith(b"%PDF") and b"/Type /Page" in response.content


def test_a_logged_in_patient_finds_it_in_the_menu_and_beside_the_login():
    html = portal_client(account_make()).get("/portal/videoporady/").content.decode()
    assert 'aria-current="page">Videoporady</a>' in html
    assert "Zaloguj się do Portalu Pacjenta" not in html
    assert 'href="/portal/videoporady/"' in Client().get("/portal/logowanie/").content.decode()
