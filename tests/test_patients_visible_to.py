"""A doctor sees the patients he has or had appointments with, and no others, wherever patients are shown: Pacjenci >
Lista, its search, the record and the calendar's panel; reception and administrators see every patient."""

from datetime import datetime

import pytest
from django.urls import reverse

from core.models import AuditEvent
from core.time import WARSAW
from patients.selectors import patients_visible_to
from patients.tests.factories import PatientFactory
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

LIST = reverse("patients:patient_list")


@pytest.fixture
def patients(carol_schedule, erin_schedule):
    """Carol's patient, one whose visit with her was cancelled, erin's patient and one nobody has seen yet."""
    cancelled = AppointmentFactory(
        schedule=carol_schedule,
        status=AppointmentStatus.CANCELLED,
        cancelled_at=datetime(2026, 11, 30, 12, tzinfo=WARSAW),
        patient=PatientFactory(last_name="Odwołana", first_name="Anna", sex="K"),
    )
    return {
        "own": AppointmentFactory(schedule=carol_schedule, patient__last_name="Własna").patient,
        "cancelled": cancelled.patient,
        "erins": AppointmentFactory(schedule=erin_schedule, patient__last_name="Erwiny").patient,
        "nobodys": PatientFactory(last_name="Niczyja"),
    }


def test_the_selector_gives_a_doctor_his_patients_and_reception_everyone(alice, bob, carol, patients):
    assert set(patients_visible_to(carol)) == {patients["own"], patients["cancelled"]}
    assert set(patients_visible_to(bob)) == set(patients_visible_to(alice)) == set(patients.values())


def test_a_doctor_lists_and_finds_only_his_patients(client_for, carol, patients):
    client = client_for(carol)
    page = client.get(LIST).text
    assert "Własna" in page and "Odwołana" in page
    assert "Erwiny" not in page and "Niczyja" not in page
    assert "Nie znaleziono pacjentów." in client.post(LIST, {"q": patients["erins"].pesel}).text
    assert "Nie znaleziono pacjentów." in client.post(LIST, {"q": patients["erins"].pesel[:4]}).text
    assert "Własna" in client.post(LIST, {"q": patients["own"].pesel}).text


def test_reception_lists_everyone(client_for, bob, patients):
    page = client_for(bob).get(LIST).text
    assert all(patient.last_name in page for patient in patients.values())


def test_a_doctor_opens_his_patients_records_and_is_asked_for_a_reason_for_the_others(client_for, carol, patients):
    client = client_for(carol)
    for name in ("own", "cancelled"):
        assert client.get(reverse("patients:patient_detail", args=[patients[name].pk])).status_code == 200
    for name in ("erins", "nobodys"):
        refused = client.get(reverse("patients:patient_detail", args=[patients[name].pk]))
        assert refused.status_code == 403 and "Podaj powód dostępu" in refused.text
        assert patients[name].pesel not in refused.text
    viewed = AuditEvent.objects.filter(action="patient_viewed").values_list("object_id", flat=True)
    assert sorted(viewed) == sorted([str(patients["own"].pk), str(patients["cancelled"].pk)])


def test_the_panel_of_his_appointment_links_to_a_record_he_may_open(client_for, carol, carol_schedule, patients):
    appointment = patients["own"].appointments.get()
    client = client_for(carol)
    panel = client.get(reverse("scheduling:calendar_appointment", args=[appointment.pk]), headers={"HX-Request": "1"})
    record = reverse("patients:patient_detail", args=[patients["own"].pk])
    assert record in panel.text and client.get(record).status_code == 200
