import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import OsozCardStatus
from patients.tests.factories import OsozCardFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = reverse("patients:patient_list")


def test_list_shows_the_manual_columns_and_the_active_card(client_for, bob):
    card = OsozCardFactory(status=OsozCardStatus.ACTIVE, patient__last_name="Zając", patient__first_name="Ewa")
    page = client_for(bob).get(URL).text
    for label in (
        "Pacjenci",
        "Lista",
        "Szukaj",
        "Nazwisko i imię",
        "PESEL",
        "Data urodzenia",
        "Telefon",
        "Aktywna karta OSOZ",
        "Nowy pacjent",
    ):
        assert label in page
    assert "Zając Ewa" in page and card.number in page and card.patient.pesel in page
    assert card.patient.birth_date.strftime("%d.%m.%Y") in page


def test_search_and_htmx_returns_rows_only(client_for, bob):
    PatientFactory(last_name="Zając")
    PatientFactory(last_name="Nowak")
    client = client_for(bob)
    page = client.get(URL, {"q": "zaj"}).text
    assert "Zając" in page and "Nowak" not in page
    rows = client.get(URL, {"q": "now"}, HTTP_HX_REQUEST="true").text
    assert "Nowak" in rows and "<html" not in rows
    assert "Nie znaleziono pacjentów." in client.get(URL, {"q": "Brzęczyszczykiewicz"}).text


def test_list_is_paginated(client_for, bob):
    PatientFactory.create_batch(30)
    client = client_for(bob)
    assert "Strona 1 z 2 (30 pacjentów)" in client.get(URL).text
    assert "Strona 2 z 2" in client.get(URL, {"page": 2}).text


def test_list_queries_do_not_grow_with_patients_or_cards(client_for, bob):
    client = client_for(bob)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    OsozCardFactory(status=OsozCardStatus.ACTIVE)
    few = queries()
    for card in OsozCardFactory.create_batch(20, status=OsozCardStatus.ACTIVE):
        OsozCardFactory(patient=card.patient)
    assert queries() == few


def test_the_list_is_in_polish_alphabetical_order(client_for, bob):
    for last_name in ("Żak", "Bąk", "Łukasiewicz", "Baran", "Lis", "Ćwik", "Czarnecka"):
        PatientFactory(last_name=last_name, first_name="Anna")
    rows = client_for(bob).get(URL).context["page"].object_list
    assert [patient.last_name for patient in rows] == ["Baran", "Bąk", "Czarnecka", "Ćwik", "Lis", "Łukasiewicz", "Żak"]
