"""The patient's visit in the portal (POR-4, POR-5): the page as after a booking at the reception, "Połącz" with its
window of time, the test connection's settings, and another patient's visit (by id tampering), which reveals nothing
and changes nothing."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from core.models import AuditEvent
from core.time import WARSAW
from portal.tests.booking_setup import account_make, portal_client
from scheduling.models import AppointmentKind, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from televisit.models import Televisit

pytestmark = pytest.mark.django_db

# The tests' today is Tuesday 2026-12-01, 09:00 Warsaw (conftest.TESTS_NOW); the videoconsultation starts at 10:00.
TEN = datetime(2026, 12, 1, 10, tzinfo=WARSAW)


@pytest.fixture(autouse=True)
def _sessions_outlast_the_clock(settings):
    """The test clients' portal sessions are made at 09:00 and last past the moments the tests move the clock to."""
    settings.SESSION_COOKIE_AGE = 24 * 3600


@pytest.fixture
def video(carol_schedule):
    """Carol's videoconsultation at 10:00 today, commercial, booked in the portal by Anna's account."""
    return AppointmentFactory(schedule=carol_schedule, starts_at=TEN, kind=AppointmentKind.TELEVISIT, is_nfz=False)


@pytest.fixture
def anna(video):
    return portal_client(account_make("anna@example.com", patient=video.patient))


@pytest.fixture
def bruno(db):
    """Another patient with an account of his own."""
    return portal_client(account_make("bruno@example.com"))


def url(name, appointment, **kwargs):
    return reverse(f"portal:{name}", kwargs={"appointment_id": appointment.pk, **kwargs})


def test_the_videoconsultation_shows_its_details_connect_chat_and_the_test(anna, video):
    location = video.cell.location
    page = anna.get(url("visit", video)).content.decode()
    for shown in (
        "01.12.2026",
        "10:00–10:20",
        video.cell.name,
        location.name,
        str(video.employee),
        "Videokonsultacja",
        "Wizyta komercyjna",
        "Umówiona",
        "Połącz",
        "Czat",
        "Połączenie testowe",
        "(około 5 min)",
        "nie odchodź od komputera",
    ):
        assert shown in page, shown
    # Before 09:55 the button waits, and says when it works.
    assert 'id="connect" disabled' in page
    assert "Przycisk „Połącz” będzie aktywny od 01.12.2026, 09:55." in page


@pytest.mark.parametrize(
    ("status", "reads"),
    [
        (AppointmentStatus.BOOKED, "Umówiona"),
        (AppointmentStatus.CONFIRMED, "Potwierdzona"),  # not the reception's "pacjent przybył"
        (AppointmentStatus.IN_VISIT, "W trakcie"),
        (AppointmentStatus.DONE, "Zakończona"),
    ],
)
def test_the_patient_reads_the_status_in_his_words(anna, video, status, reads):
    video.status = status
    video.save(update_fields=["status"])
    for page in (anna.get(url("visit", video)), anna.get(reverse("portal:home"))):
        html = page.content.decode()
        assert f"<dd>{reads}</dd>" in html
        assert "pacjent przybył" not in html


def test_a_visit_in_the_clinic_has_neither_connect_nor_chat(carol_schedule):
    visit = AppointmentFactory(schedule=carol_schedule, starts_at=TEN, is_nfz=True)
    client = portal_client(account_make(patient=visit.patient))
    page = client.get(url("visit", visit)).content.decode()
    assert "Wizyta w placówce" in page and "Wizyta w ramach NFZ" in page
    assert "Połącz" not in page and "Połączenie testowe" not in page
    assert client.get(url("visit_chat", visit)).status_code == 302


def test_nobody_logged_in_is_sent_to_the_login(client, video):
    response = client.get(url("visit", video))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


def test_a_staff_login_is_no_portal_login(client_for, alice, video):
    response = client_for(alice).get(url("visit", video))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


@pytest.mark.parametrize(
    ("method", "name", "kwargs"),
    [
        ("get", "visit", {}),
        ("post", "visit_connect", {}),
        ("get", "visit_check", {}),
        ("get", "visit_chat", {}),
        ("post", "visit_chat", {}),
    ],
)
def test_another_patients_visit_is_not_found_and_nothing_changes(bruno, video, clock, method, name, kwargs):
    clock.move_to(TEN - timedelta(minutes=1))
    response = getattr(bruno, method)(url(name, video, **kwargs), {"text": "Cudza wizyta"} if method == "post" else {})
    assert response.status_code == 404
    assert not Televisit.objects.exists()
    assert not video.messages.exists()
    assert not AuditEvent.objects.filter(action="televisit_patient_ready").exists()


@pytest.mark.parametrize(
    ("moment", "refusal"),
    [
        (TEN - timedelta(minutes=5, seconds=1), "Przycisk „Połącz” zadziała od 09:55, około 5 min przed wizytą."),
        (TEN + timedelta(minutes=20 + 120, seconds=1), "Ta videokonsultacja już się odbyła albo została odwołana."),
    ],
)
def test_connect_works_only_in_its_window(anna, video, clock, moment, refusal):
    clock.move_to(moment)
    response = anna.post(url("visit_connect", video), follow=True)
    assert refusal in response.content.decode()
    assert not Televisit.objects.filter(patient_ready_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="televisit_patient_ready").exists()


def test_connect_from_five_minutes_before_records_the_patient_ready_once(anna, video, clock, settings):
    settings.PORADNIA_PUBLIC_URL = "https://poradnia.example.com"
    clock.move_to(TEN - timedelta(minutes=5))
    page = anna.get(url("visit", video)).content.decode()
    assert 'id="connect" disabled' not in page

    response = anna.post(url("visit_connect", video))
    assert response.status_code == 302
    assert response["Location"].startswith("https://poradnia.example.com/telewizyta/pacjent/")
    televisit = Televisit.objects.get(appointment=video)
    assert televisit.patient_waiting()
    event = AuditEvent.objects.get(action="televisit_patient_ready")
    assert (event.category, event.actor_label, event.object_id) == ("televisit", "Pacjent", str(video.pk))
    assert (event.actor, event.ip_address) == (None, "127.0.0.1")  # the patient's address, no staff member named

    # Clicked again while waiting: the same window, no second record.
    again = anna.post(url("visit_connect", video))
    assert again["Location"] == response["Location"]
    assert AuditEvent.objects.filter(action="televisit_patient_ready").count() == 1


def test_connect_is_refused_for_a_cancelled_videoconsultation(anna, video, clock):
    clock.move_to(TEN - timedelta(minutes=1))
    video.status = AppointmentStatus.CANCELLED
    video.cancelled_at = TEN - timedelta(hours=1)
    video.save()
    response = anna.post(url("visit_connect", video), follow=True)
    assert "Ta videokonsultacja już się odbyła albo została odwołana." in response.content.decode()
    assert not Televisit.objects.exists()
    assert "Połączenie testowe" not in anna.get(url("visit", video)).content.decode()


def test_connect_is_refused_for_a_visit_in_the_clinic(carol_schedule, clock):
    visit = AppointmentFactory(schedule=carol_schedule, starts_at=TEN)
    client = portal_client(account_make(patient=visit.patient))
    clock.move_to(TEN - timedelta(minutes=1))
    response = client.post(url("visit_connect", visit), follow=True)
    assert "Ta wizyta nie jest videokonsultacją." in response.content.decode()
    assert not Televisit.objects.exists()


def test_the_test_connection_gets_the_calls_socket_and_ice_servers(anna, video, settings):
    settings.TELEVISIT_STUN_URLS = ["stun:stun.example.com:3478"]
    settings.TELEVISIT_TURN_URLS = ["turn:turn.example.com:3478"]
    settings.TELEVISIT_TURN_SECRET = "sekret"
    answer = anna.get(url("visit_check", video)).json()
    televisit = Televisit.objects.get(appointment=video)
    assert answer["socket"] == f"/ws/telewizyta/{televisit.pk}/"
    assert answer["iceTransportPolicy"] == "all"
    assert answer["iceServers"][0] == {"urls": ["stun:stun.example.com:3478"]}
    assert answer["iceServers"][1]["username"].endswith(f":{televisit.pk}")
    assert "no-store" in anna.get(url("visit_check", video))["Cache-Control"]


def test_a_cancelled_videoconsultation_has_no_test_connection(anna, video):
    video.status = AppointmentStatus.CANCELLED
    video.cancelled_at = TEN - timedelta(hours=1)
    video.save()
    assert anna.get(url("visit_check", video)).status_code == 404
    assert not Televisit.objects.exists()


def test_the_cancel_form_posts_to_the_portals_cancel_until_the_cut_off(anna, video, carol_schedule):
    later = AppointmentFactory(
        schedule=carol_schedule,
        patient=video.patient,
        starts_at=TEN + timedelta(days=3),
        kind=AppointmentKind.TELEVISIT,
    )
    page = anna.get(url("visit", later)).content.decode()
    assert f'action="{url("visit_cancel", later)}"' in page and "Odwołaj wizytę" in page
    # An hour ahead is past the clinic's cut-off (24 h by default): the page says to call.
    page = anna.get(url("visit", video)).content.decode()
    assert "Odwołaj wizytę" not in page and "zadzwoń do placówki" in page
