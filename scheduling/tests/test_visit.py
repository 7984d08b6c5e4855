import pytest
from django.urls import reverse

from core.models import AuditEvent
from scheduling.models import AppointmentKind, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(carol_schedule):
    """A confirmed appointment with carol's own patient: the patient has arrived."""
    return AppointmentFactory(schedule=carol_schedule, status=AppointmentStatus.CONFIRMED)


def url(appointment, name="scheduling:visit"):
    return reverse(name, kwargs={"pk": appointment.pk})


def test_the_visit_page_shows_a_confirmed_appointment_without_opening_it(client_for, carol, own):
    """A GET — a link followed, a prefetch — changes nothing; the page offers Otwórz wizytę as a POST."""
    page = client_for(carol).get(url(own)).content.decode()
    own.refresh_from_db()
    assert own.status == AppointmentStatus.CONFIRMED
    assert own.patient.last_name in page and "Potwierdzona – pacjent przybył" in page
    assert f'<form method="post" action="{url(own, "scheduling:visit_open")}"' in page
    assert "Zakończ wizytę" not in page and "Zapisz notatki" not in page


def test_the_doctor_opens_his_visit_from_a_confirmed_appointment(client_for, carol, own):
    client = client_for(carol)
    response = client.post(url(own, "scheduling:visit_open"))
    assert response.status_code == 302 and response.url == url(own)
    own.refresh_from_db()
    assert own.status == AppointmentStatus.IN_VISIT
    page = client.get(url(own)).content.decode()
    assert own.patient.last_name in page and str(own.employee) in page
    assert "<h2>Notatki związane z wizytą</h2>" in page and "Zakończ wizytę" in page
    assert url(own, "scheduling:visit_open") not in page
    # Services, referrals and the televisit come with their apps; no empty section stands in for them.
    for heading in ("Usługi prywatne", "Skierowania", "Telewizyta"):
        assert f"<h2>{heading}</h2>" not in page


def test_a_televisit_says_so(client_for, carol, own):
    own.kind = AppointmentKind.TELEVISIT
    own.save()
    assert "Telewizyta ·" in client_for(carol).get(url(own)).content.decode()


def test_notes_are_written_and_the_visit_finished(client_for, carol, own):
    client = client_for(carol)
    client.post(url(own, "scheduling:visit_open"))
    assert client.post(url(own), {"notes": "Ciśnienie 130/85, kontrola za 3 miesiące."}).status_code == 302
    assert client.post(url(own, "scheduling:visit_finish")).status_code == 302
    own.refresh_from_db()
    assert own.notes == "Ciśnienie 130/85, kontrola za 3 miesiące."
    assert own.status == AppointmentStatus.DONE
    page = client.get(url(own)).content.decode()
    assert "Zakończ wizytę" not in page and "Zakończona" in page


def test_a_visit_is_not_opened_before_the_patient_arrived(client_for, carol, own):
    own.status = AppointmentStatus.BOOKED
    own.save()
    client = client_for(carol)
    page = client.get(url(own)).content.decode()
    assert "Wizytę można otworzyć po potwierdzeniu przybycia pacjenta." in page
    assert url(own, "scheduling:visit_open") not in page
    refused = client.post(url(own, "scheduling:visit_open"), follow=True).content.decode()
    assert "Wizytę można otworzyć po potwierdzeniu przybycia pacjenta." in refused
    assert client.post(url(own), {"notes": "x"}).status_code == 403
    finish = client.post(url(own, "scheduling:visit_finish"), follow=True).content.decode()
    assert "Zakończyć można tylko otwartą wizytę." in finish
    own.refresh_from_db()
    assert own.status == AppointmentStatus.BOOKED and own.notes == ""


def test_reception_may_open_any_visit_and_write_notes(client_for, bob, own):
    client = client_for(bob)
    assert client.get(url(own)).status_code == 200
    assert client.post(url(own, "scheduling:visit_open")).status_code == 302
    assert client.post(url(own), {"notes": "Pacjent prosi o zaświadczenie."}).status_code == 302
    own.refresh_from_db()
    assert own.notes == "Pacjent prosi o zaświadczenie."


def test_another_doctors_visit_is_not_found(client_for, carol, own, erin_schedule):
    foreign = AppointmentFactory(schedule=erin_schedule, status=AppointmentStatus.CONFIRMED, notes="Erwiny")
    client = client_for(carol)
    assert client.get(url(foreign)).status_code == 404
    assert client.post(url(foreign, "scheduling:visit_open")).status_code == 404
    assert client.post(url(foreign), {"notes": "Nadpisane"}).status_code == 404
    assert client.post(url(foreign, "scheduling:visit_finish")).status_code == 404
    foreign.refresh_from_db()
    assert (foreign.status, foreign.notes) == (AppointmentStatus.CONFIRMED, "Erwiny")


def test_a_user_without_a_role_is_refused(client_for, dave, own):
    client = client_for(dave)
    assert client.get(url(own)).status_code == 403
    assert client.post(url(own, "scheduling:visit_open")).status_code == 403
    assert client.post(url(own, "scheduling:visit_finish")).status_code == 403
    own.refresh_from_db()
    assert own.status == AppointmentStatus.CONFIRMED


def test_every_view_of_the_visit_is_audited_naming_the_patient(client_for, carol, own):
    client = client_for(carol)
    client.get(url(own))
    client.post(url(own, "scheduling:visit_open"))
    client.get(url(own))
    events = AuditEvent.objects.filter(action="patient_viewed")
    assert [event.message for event in events] == ["Wyświetlono dane pacjenta na stronie wizyty."] * 2
    assert {(event.actor, event.object_id) for event in events} == {(carol, str(own.patient_id))}
