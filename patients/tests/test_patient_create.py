from datetime import date

import pytest
from django.urls import reverse

from core.models import AuditEvent
from patients.models import OsozCardStatus, Patient
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = reverse("patients:patient_create")


def form(**fields):
    return {
        "last_name": "Kowalski",
        "first_name": "Jan",
        "pesel": "44051401359",
        "birth_date": "",
        "sex": "",
        "document_type": "",
        "document_number": "",
        "phone": "",
        "email": "",
        "street": "",
        "postal_code": "",
        "city": "",
        "osoz_card_number": "",
        **fields,
    }


def test_new_patient_page_has_the_labels(client_for, bob):
    page = client_for(bob).get(URL).text
    for label in (
        "Nowy pacjent",
        "Nazwisko",
        "Imię",
        "PESEL",
        "Data urodzenia",
        "Płeć",
        "Rodzaj dokumentu tożsamości",
        "Ulica i numer",
        "Kod pocztowy",
        "Miejscowość",
        "Rejestracja online (OSOZ)",
        "Numer karty OSOZ",
    ):
        assert label in page


def test_new_patient_is_created_with_data_from_the_pesel_and_an_active_card(client_for, bob):
    response = client_for(bob).post(URL, form(pesel="4405 1401 359", osoz_card_number="1234 5678 9012 3456 78"))
    patient = Patient.objects.get()
    assert response.url == reverse("patients:patient_detail", kwargs={"patient_id": patient.pk})
    assert (patient.birth_date, patient.sex) == (date(1944, 5, 14), "M")
    assert patient.osoz_cards.get().status == OsozCardStatus.ACTIVE
    assert AuditEvent.objects.filter(action="patient_created", actor=bob).exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"pesel": "44051401358"}, "pesel", "Nieprawidłowy numer PESEL: cyfra kontrolna się nie zgadza."),
        ({"birth_date": "1944-05-15"}, "birth_date", "Data urodzenia nie zgadza się z numerem PESEL"),
        ({"sex": "K"}, "sex", "Płeć nie zgadza się z numerem PESEL, z którego wynika: mężczyzna."),
        ({"pesel": "02211307589", "birth_date": "1902-01-13"}, "birth_date", "wynika 13.01.2002"),
        ({"pesel": ""}, "document_type", "Podaj rodzaj dokumentu tożsamości pacjenta, który nie ma numeru PESEL."),
        ({"pesel": ""}, "document_number", "Podaj numer dokumentu tożsamości pacjenta, który nie ma numeru PESEL."),
        ({"osoz_card_number": "1" * 17}, "osoz_card_number", "ma 18 znaków (nie licząc spacji), a wpisano 17."),
        ({"osoz_card_number": "1" * 19}, "osoz_card_number", "ma 18 znaków (nie licząc spacji), a wpisano 19."),
        ({"postal_code": "31042"}, "postal_code", "Kod pocztowy ma postać NN-NNN"),
    ],
)
def test_bad_input_gets_a_clear_polish_error_and_changes_nothing(client_for, bob, fields, field, message):
    response = client_for(bob).post(URL, form(**fields))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert message.split(",")[0] in response.text
    assert not Patient.objects.exists() and not AuditEvent.objects.exists()


def test_duplicate_pesel_is_refused(client_for, bob):
    existing = PatientFactory()
    response = client_for(bob).post(URL, form(pesel=existing.pesel))
    assert "W kartotece jest już pacjent o tym numerze PESEL." in response.text
    assert Patient.objects.count() == 1
