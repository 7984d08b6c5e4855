import pytest
from django.urls import reverse

from core.models import AuditEvent
from patients.models import OsozCard, OsozCardStatus
from patients.tests.factories import OsozCardFactory, PatientFactory

pytestmark = pytest.mark.django_db


def url(patient):
    return reverse("patients:osoz_card_add", kwargs={"patient_id": patient.pk})


def test_receptionist_adds_a_card_by_hand(client_for, bob):
    patient = PatientFactory()
    response = client_for(bob).post(url(patient), {"number": "1234 5678 9012 3456 78", "status": "inactive"})
    assert response.url.endswith("#osoz")
    card = patient.osoz_cards.get()
    assert (card.number, card.status, card.source, card.added_by) == (
        "123456789012345678",
        OsozCardStatus.INACTIVE,
        "manual",
        bob,
    )
    assert AuditEvent.objects.filter(action="osoz_card_added", actor=bob).exists()


def test_htmx_returns_the_section_with_the_new_card(client_for, bob):
    patient = PatientFactory()
    response = client_for(bob).post(
        url(patient), {"number": "123456789012345678", "status": "active"}, HTTP_HX_REQUEST="true"
    )
    assert 'id="osoz-cards"' in response.text and "<html" not in response.text
    assert "Dodano kartę OSOZ." in response.text and "123456789012345678" in response.text


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1" * 17, "Numer karty OSOZ ma 18 znaków (nie licząc spacji), a wpisano 17."),
        ("1" * 19, "Numer karty OSOZ ma 18 znaków (nie licząc spacji), a wpisano 19."),
        ("1234-5678-9012-3456", "Numer karty OSOZ ma 18 znaków"),
        ("12345678901234567!", "Numer karty OSOZ składa się z cyfr i liter."),
    ],
)
def test_bad_numbers_get_a_clear_error_and_change_nothing(client_for, bob, number, message):
    patient = PatientFactory()
    response = client_for(bob).post(url(patient), {"number": number, "status": "inactive"}, HTTP_HX_REQUEST="true")
    assert message in response.text
    assert not OsozCard.objects.exists() and not AuditEvent.objects.exists()


def test_second_active_card_gets_the_manual_warning_and_changes_nothing(client_for, bob):
    active = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    response = client_for(bob).post(url(active.patient), {"number": "9" * 18, "status": "active"})
    assert response.status_code == 200
    assert "Tylko jedna karta OSOZ pacjenta może mieć status Aktywna." in response.text
    assert "Kartoteka pacjenta" in response.text  # without htmx the whole record is shown again
    assert OsozCard.objects.count() == 1
