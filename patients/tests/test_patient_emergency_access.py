"""Break the glass: a doctor opens the record of someone who is not his patient only by giving a reason, for a
limited time, and the audit says so in a category of its own."""

from datetime import timedelta

import pytest
from django.urls import reverse

from core.models import AuditCategory, AuditEvent
from patients.models import EmergencyAccess
from patients.services import EMERGENCY_ACCESS_HOURS
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

REASON = "Pacjent nieprzytomny na izbie przyjęć, lekarz prowadzący nieobecny."


@pytest.fixture
def patient():
    return PatientFactory(last_name="Zając", first_name="Ewa", sex="K")


def detail(patient):
    return reverse("patients:patient_detail", kwargs={"patient_id": patient.pk})


def emergency(patient):
    return reverse("patients:patient_emergency_access", kwargs={"patient_id": patient.pk})


def test_a_record_that_is_not_the_doctors_asks_for_a_reason_and_shows_nothing(client_for, carol, patient):
    response = client_for(carol).get(detail(patient))
    assert response.status_code == 403
    page = response.text
    assert "Dostęp w trybie awaryjnym" in page and "Podaj powód dostępu" in page
    assert f'action="{emergency(patient)}"' in page
    assert patient.pesel not in page and "Zając" not in page and patient.phone not in page
    assert not AuditEvent.objects.exists() and not EmergencyAccess.objects.exists()


def test_without_a_reason_nothing_is_opened(client_for, carol, patient):
    client = client_for(carol)
    response = client.post(emergency(patient), {"reason": "  "})
    assert response.status_code == 403 and "To pole jest wymagane." in response.text
    assert client.get(detail(patient)).status_code == 403
    assert not AuditEvent.objects.exists() and not EmergencyAccess.objects.exists()


def test_the_reason_opens_the_record_for_a_limited_time_and_is_audited(client_for, carol, patient, clock):
    client = client_for(carol)
    response = client.post(emergency(patient), {"reason": REASON})
    assert response.status_code == 302 and response.url == detail(patient)
    page = client.get(detail(patient))
    assert page.status_code == 200 and patient.pesel in page.text
    assert "Otwarto kartotekę w trybie awaryjnym. Dostęp został zapisany w audycie." in page.text

    granted = AuditEvent.objects.get(category=AuditCategory.EMERGENCY_ACCESS)
    assert (granted.action, granted.actor, granted.object_id) == ("patient_emergency_access", carol, str(patient.pk))
    assert granted.message == (
        f"Otwarto kartotekę pacjenta w trybie awaryjnym na {EMERGENCY_ACCESS_HOURS} godz. Powód: {REASON}"
    )
    assert AuditEvent.objects.filter(action="patient_viewed", actor=carol, object_id=str(patient.pk)).count() == 1

    clock.shift(timedelta(hours=EMERGENCY_ACCESS_HOURS, seconds=1))
    # A new login: the session itself would have ended by then.
    assert client_for(carol).get(detail(patient)).status_code == 403


def test_reception_needs_no_reason(client_for, bob, patient):
    response = client_for(bob).post(emergency(patient), {"reason": ""})
    assert response.status_code == 302 and response.url == detail(patient)
    assert not AuditEvent.objects.exists() and not EmergencyAccess.objects.exists()


def test_an_unknown_record_is_not_found(client_for, carol):
    client = client_for(carol)
    missing = reverse("patients:patient_emergency_access", kwargs={"patient_id": 999})
    assert client.post(missing, {"reason": REASON}).status_code == 404
    assert client.get(reverse("patients:patient_detail", kwargs={"patient_id": 999})).status_code == 404
    assert not AuditEvent.objects.exists()
