import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditCategory, AuditEvent
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
    page = client.post(URL, {"q": "zaj"}).text
    assert "Zając" in page and "Nowak" not in page
    rows = client.post(URL, {"q": "now"}, HTTP_HX_REQUEST="true").text
    assert "Nowak" in rows and "<html" not in rows
    assert "Nie znaleziono pacjentów." in client.post(URL, {"q": "Brzęczyszczykiewicz"}).text


def test_a_search_is_posted_and_its_pages_too_so_no_url_carries_what_was_typed(client_for, bob):
    patients = PatientFactory.create_batch(30, birth_date=date(1990, 5, 17))
    prefix = patients[0].pesel[:6]
    client = client_for(bob)
    assert 'method="post" role="search"' in client.get(URL).text
    first = client.post(URL, {"q": prefix}).text
    assert "Strona 1 z 2 (30 pacjentów)" in first
    assert f'<input type="hidden" name="q" value="{prefix}">' in first and 'name="page" value="2"' in first
    assert not any(prefix in link for link in re.findall(r'(?:href|hx-get|hx-post|action)="([^"]*)"', first))
    second = client.post(URL, {"q": prefix, "page": 2}, HTTP_HX_REQUEST="true").text
    assert "Strona 2 z 2 (30 pacjentów)" in second and 'name="page" value="1"' in second
    # A query string is not a search: what someone puts in a URL is ignored.
    PatientFactory(birth_date=date(1960, 1, 1))
    assert "Strona 1 z 2 (31 pacjentów)" in client.get(URL, {"q": prefix}).text


def test_list_is_paginated(client_for, bob):
    PatientFactory.create_batch(30)
    client = client_for(bob)
    assert "Strona 1 z 2 (30 pacjentów)" in client.get(URL).text
    assert "Strona 2 z 2" in client.get(URL, {"page": 2}).text


def test_a_page_of_the_list_is_one_audit_entry_naming_the_patients_shown(client_for, bob):
    PatientFactory.create_batch(30)
    shown = client_for(bob).get(URL, {"page": 2}).context["page"].object_list
    event = AuditEvent.objects.get(action="patient_viewed")
    names = ", ".join(f"{patient} (id {patient.pk})" for patient in shown)
    assert event.message == f"Wyświetlono listę pacjentów (strona 2, liczba pacjentów: 5). Pacjenci: {names}."
    assert (event.category, event.actor, event.object_id) == (AuditCategory.RECORD_ACCESS, bob, "")
    assert not any(patient.pesel in event.message for patient in shown)


def test_search_results_are_audited_and_a_single_one_names_its_patient(client_for, bob):
    zajac = PatientFactory(last_name="Zając", first_name="Ewa", sex="K")
    PatientFactory(last_name="Nowak")
    client = client_for(bob)
    client.post(URL, {"q": zajac.pesel})
    client.post(URL, {"q": "Brzęczyszczykiewicz"})
    event = AuditEvent.objects.get(action="patient_viewed")
    assert event.message == "Wyświetlono wyniki wyszukiwania pacjentów (strona 1, liczba pacjentów: 1)."
    assert (event.object_type, event.object_id, event.object_repr) == ("patients.patient", str(zajac.pk), "Zając Ewa")
    assert zajac.pesel not in str(list(AuditEvent.objects.values_list()))


def test_a_doctor_lists_and_finds_none_but_the_patients_he_may_see(client_for, carol):
    PatientFactory(last_name="Zając")
    client = client_for(carol)
    assert "Nie znaleziono pacjentów." in client.get(URL).text
    assert "Nie znaleziono pacjentów." in client.post(URL, {"q": "zaj"}).text
    assert not AuditEvent.objects.exists()


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
