from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditCategory, AuditEvent
from patients.models import EmergencyAccess, OsozCardStatus
from patients.tests.factories import OsozCardFactory, PatientFactory

pytestmark = pytest.mark.django_db


def url(patient):
    return reverse("patients:patient_detail", kwargs={"patient_id": patient.pk})


def edit(patient, **fields):
    data = {
        name: getattr(patient, name)
        for name in (
            "last_name",
            "first_name",
            "pesel",
            "document_type",
            "document_number",
            "sex",
            "phone",
            "email",
            "street",
            "postal_code",
            "city",
        )
    }
    data["birth_date"] = patient.birth_date.isoformat()
    return {**data, **fields}


def opened(patient, user):
    """The record opened to a doctor as if he had broken the glass (scheduling's appointments are out of reach)."""
    EmergencyAccess.objects.create(patient=patient, user=user, expires_at=timezone.now() + timedelta(hours=1))


def test_every_view_of_a_record_is_audited_without_personal_data(client_for, bob, carol):
    patient = PatientFactory(last_name="Zając", first_name="Ewa", sex="K")
    opened(patient, carol)
    client_for(bob).get(url(patient))
    client_for(carol).get(url(patient))
    events = AuditEvent.objects.filter(action="patient_viewed").order_by("id")
    assert [event.actor for event in events] == [bob, carol]
    for event in events:
        assert event.category == AuditCategory.RECORD_ACCESS
        assert event.message == "Wyświetlono kartotekę pacjenta."
        assert (event.object_type, event.object_id, event.object_repr) == (
            "patients.patient",
            str(patient.pk),
            "Zając Ewa",
        )
        assert event.ip_address == "127.0.0.1"
    assert patient.pesel not in str(list(AuditEvent.objects.values_list()))


def test_record_shows_the_osoz_section_with_cards_and_statuses(client_for, bob):
    card = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    OsozCardFactory(patient=card.patient, number="9" * 18)
    page = client_for(bob).get(url(card.patient)).text
    for text in (
        "Kartoteka pacjenta",
        "Rejestracja online (OSOZ)",
        "Numer karty OSOZ",
        "Status",
        card.number,
        "9" * 18,
        "Aktywna",
        "Nieaktywna",
        "Dodaj",
        "Zapisz status",
        "Uwaga! Tylko jedna karta OSOZ pacjenta może mieć status Aktywna.",
    ):
        assert text in page


def test_doctor_reads_the_record_without_forms(client_for, carol):
    card = OsozCardFactory(status=OsozCardStatus.ACTIVE)
    opened(card.patient, carol)
    page = client_for(carol).get(url(card.patient)).text
    assert card.patient.pesel in page and card.number in page
    assert '<form method="post"' not in page.split("</header>")[1]
    assert "Zapisz status" not in page and "Dodaj" not in page


def test_receptionist_edits_the_record(client_for, bob):
    patient = PatientFactory()
    response = client_for(bob).post(url(patient), edit(patient, phone="605 111 222", city="Bochnia"))
    assert response.url == url(patient)
    patient.refresh_from_db()
    assert (patient.phone, patient.city) == ("605111222", "Bochnia")
    assert AuditEvent.objects.get(action="patient_updated").message == (
        "Zmieniono dane w kartotece pacjenta: Telefon, Miejscowość."
    )


def test_refused_edit_shows_the_error_and_changes_nothing(client_for, bob):
    patient = PatientFactory(last_name="Nowak")
    other = PatientFactory()
    response = client_for(bob).post(url(patient), edit(patient, last_name="Kowalska", pesel=other.pesel))
    assert response.status_code == 200
    assert "W kartotece jest już pacjent o tym numerze PESEL." in response.text
    # The heading still names the patient as stored.
    assert "Kartoteka pacjenta: Nowak" in response.text
    patient.refresh_from_db()
    assert patient.last_name == "Nowak" and not AuditEvent.objects.filter(action="patient_updated").exists()


def test_unknown_patient_is_404(client_for, bob):
    assert client_for(bob).get(reverse("patients:patient_detail", kwargs={"patient_id": 999})).status_code == 404
