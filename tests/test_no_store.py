"""Nothing a logged-in user is shown, and no API answer, is kept by a browser's or a proxy's cache: patients' records,
the patient list, the appointment panel, the exports and the API answer with Cache-Control: no-store. Static files
keep their caching."""

import pytest
from django.urls import reverse

from patients.tests.factories import PatientFactory
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_staff_pages_exports_and_the_api_are_never_stored(client_for, bob):
    appointment = AppointmentFactory(patient=PatientFactory())
    client = client_for(bob)
    urls = [
        reverse("patients:patient_list"),
        reverse("patients:patient_detail", args=[appointment.patient_id]),
        reverse("scheduling:calendar_appointment", args=[appointment.pk]),
        reverse("scheduling:appointment_export"),
        reverse("appointment-detail", args=[appointment.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_an_api_answer_without_a_login_is_never_stored_either(client):
    response = client.get(reverse("appointment-list"))
    assert response.status_code == 403 and "no-store" in response["Cache-Control"]


def test_static_files_keep_their_caching(client_for, bob):
    response = client_for(bob).get("/static/css/poradnia.css")
    assert response.status_code == 200 and "no-store" not in response.get("Cache-Control", "")
