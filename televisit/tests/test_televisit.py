"""The doctor's window (TV-2, TV-3) and its button in the visit."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from scheduling.models import AppointmentKind, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from televisit.models import Televisit
from televisit.services import televisit_patient_link

pytestmark = pytest.mark.django_db


def url(appointment):
    return reverse("televisit:televisit", kwargs={"appointment_id": appointment.pk})


def test_the_visit_offers_wykonaj_telewizyte_in_a_new_tab(client_for, carol, televisit_today):
    page = client_for(carol).get(reverse("scheduling:visit", kwargs={"pk": televisit_today.pk})).content.decode()
    assert f'<a class="button primary" href="{url(televisit_today)}" target="_blank" rel="noopener">' in page
    assert "Wykonaj telewizytę" in page


def test_the_visit_shows_the_patients_link_with_its_qr_code_at_the_top(client_for, carol, televisit_today):
    page = client_for(carol).get(reverse("scheduling:visit", kwargs={"pk": televisit_today.pk})).content.decode()
    link = televisit_patient_link(appointment=televisit_today)
    assert f'value="{link}" readonly' in page and "<svg" in page
    # "W górnej części widoku wizyty" (manual §15.2): above the visit's notes.
    assert page.index("Wykonaj telewizytę") < page.index("Notatki związane z wizytą")


@pytest.mark.parametrize(
    "change",
    [{"kind": AppointmentKind.VISIT}, {"status": AppointmentStatus.DONE}],
    ids=["an ordinary visit", "a finished televisit"],
)
def test_the_visit_has_no_button_when_there_is_nothing_to_call(client_for, carol, televisit_today, change):
    for field, value in change.items():
        setattr(televisit_today, field, value)
    televisit_today.save()
    page = client_for(carol).get(reverse("scheduling:visit", kwargs={"pk": televisit_today.pk})).content.decode()
    assert "Wykonaj telewizytę" not in page


def test_a_same_day_window_calls_at_once(client_for, carol, televisit_today):
    response = client_for(carol).get(url(televisit_today))
    televisit = Televisit.objects.get(appointment=televisit_today)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-socket="/ws/telewizyta/{televisit.pk}/"' in page and 'data-autostart="true"' in page
    assert 'data-answer-seconds="20"' in page and "Nie udało się nawiązać połączenia" in page
    assert "Konsultacja zaplanowana" not in page
    assert "no-store" in response["Cache-Control"]
    # Opening the window is no call yet: nothing is audited until the doctor calls over the socket.
    assert not AuditEvent.objects.filter(action__startswith="televisit").exists()


def test_a_future_window_says_when_with_polacz_teraz(client_for, carol, televisit_later):
    page = client_for(carol).get(url(televisit_later)).content.decode()
    assert "Konsultacja zaplanowana jest za 2 dni, na 3 grudnia 2026, o godzinie 9:00" in page
    assert "Połącz teraz" in page and 'data-autostart="false"' in page


def test_reception_may_call_as_the_visit_allows(client_for, bob, televisit_today):
    assert client_for(bob).get(url(televisit_today)).status_code == 200


def test_another_doctors_televisit_is_not_found(client_for, carol_schedule, erins_televisit):
    assert client_for(carol_schedule.employee.user).get(url(erins_televisit)).status_code == 404
    assert not Televisit.objects.exists()


def test_a_user_without_a_role_is_refused(client_for, dave, televisit_today):
    assert client_for(dave).get(url(televisit_today)).status_code == 403


def test_an_ordinary_visit_has_no_televisit_window(client_for, carol, carol_schedule):
    appointment = AppointmentFactory(schedule=carol_schedule)
    assert client_for(carol).get(url(appointment)).status_code == 404


def test_a_cancelled_televisit_says_why_it_cannot_be_called(client_for, carol, televisit_today):
    televisit_today.status = AppointmentStatus.CANCELLED
    televisit_today.cancelled_at = televisit_today.starts_at
    televisit_today.save()
    page = client_for(carol).get(url(televisit_today)).content.decode()
    assert "Telewizytę można wykonać dla umówienia, które nie zostało odwołane ani zakończone." in page
    assert "/ws/telewizyta/" not in page and not Televisit.objects.exists()
