"""The patient's window from his link (TV-8): opened without an account while the link is valid; otherwise one
page that names neither the visit nor the reason."""

import pytest

from televisit.models import Televisit
from televisit.services import televisit_patient_link
from televisit.tests.conftest import LINK_SPOILERS, link_spoil

pytestmark = pytest.mark.django_db
REFUSED = "Link do telewizyty jest nieważny"


def path(link):
    return link.removeprefix("http://127.0.0.1:8000")


def test_the_patient_opens_his_window_without_an_account(client, televisit_today):
    response = client.get(path(televisit_patient_link(appointment=televisit_today)))
    page = response.content.decode()
    televisit = Televisit.objects.get()
    assert response.status_code == 200
    assert f'data-socket="/ws/telewizyta/{televisit.pk}/"' in page and 'data-role="patient"' in page
    assert "Poziom mikrofonu" in page and "Oczekiwanie na połączenie od pracownika medycznego" in page
    assert "no-store" in response["Cache-Control"]
    assert televisit_today.patient.pesel and televisit_today.patient.pesel not in page
    assert "Połącz teraz" not in page  # only the doctor calls


def test_a_future_visit_tells_the_patient_when(client, televisit_later):
    page = client.get(path(televisit_patient_link(appointment=televisit_later))).content.decode()
    assert "Konsultacja zaplanowana jest za 2 dni, na 3 grudnia 2026, o godzinie 9:00" in page


@pytest.mark.parametrize("reason", LINK_SPOILERS)
def test_an_invalid_link_gets_one_page_whatever_the_reason(client, clock, televisit_today, reason):
    link = path(televisit_patient_link(appointment=televisit_today))
    link_spoil(televisit_today, reason, clock)
    if reason == "made up":
        link = link[:-6] + "AAAAAA/"
    response = client.get(link)
    page = response.content.decode()
    assert response.status_code == 404 and REFUSED in page
    assert "/ws/telewizyta/" not in page and televisit_today.employee.last_name not in page
