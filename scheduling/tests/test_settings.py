import pytest
from django.urls import reverse

from core.models import AuditCategory, AuditEvent
from scheduling.selectors import booking_settings

pytestmark = pytest.mark.django_db

GENERAL = reverse("scheduling:settings_general")
CALENDAR = reverse("scheduling:settings_calendar")


def test_an_administrator_allows_online_nfz_visits_of_first_time_patients(client_for, alice):
    client = client_for(alice)
    page = client.get(GENERAL).content.decode()
    assert "Podstawowe ustawienia" in page
    assert "Możliwość umawiania przez Internet wizyt w ramach NFZ dla pacjentów pierwszorazowych" in page
    assert client.post(GENERAL, {"nfz_first_time_online": "on", "portal_cancel_hours": 24}).status_code == 302
    assert booking_settings().nfz_first_time_online
    event = AuditEvent.objects.get(action="booking_settings_changed")
    assert event.category == AuditCategory.CONFIGURATION and event.actor == alice
    assert event.message.startswith("Włączono ustawienie „Możliwość umawiania przez Internet")


def test_an_administrator_has_televisit_recordings_attached_to_the_visits(client_for, alice):
    client = client_for(alice)
    page = client.get(GENERAL).content.decode()
    assert "Telewizyty" in page and "Dołączaj nagrania telewizyt do wizyty" in page
    client.post(GENERAL, {"televisit_recordings_attached": "on", "portal_cancel_hours": 24})
    settings = booking_settings()
    assert settings.televisit_recordings_attached and not settings.nfz_first_time_online
    event = AuditEvent.objects.get(action="booking_settings_changed")
    assert event.message == "Włączono ustawienie „Dołączaj nagrania telewizyt do wizyty”."


def test_the_calendar_settings_switch_osoz_cards_without_touching_the_general_ones(client_for, alice):
    client = client_for(alice)
    client.post(GENERAL, {"nfz_first_time_online": "on", "portal_cancel_hours": 24})
    assert "Obsługa kart OSOZ" in client.get(CALENDAR).content.decode()
    client.post(CALENDAR, {"osoz_cards_enabled": "on"})
    client.post(CALENDAR, {})
    settings = booking_settings()
    assert settings.nfz_first_time_online and not settings.osoz_cards_enabled
    messages = list(AuditEvent.objects.order_by("id").values_list("message", flat=True))
    assert messages[-2:] == ["Włączono ustawienie „Obsługa kart OSOZ”.", "Wyłączono ustawienie „Obsługa kart OSOZ”."]


def test_saving_unchanged_settings_records_nothing(client_for, alice):
    client_for(alice).post(CALENDAR, {})
    assert not AuditEvent.objects.filter(action="booking_settings_changed").exists()


def test_only_administrators_open_the_settings(client_for, bob, carol, dave):
    for user in (bob, carol, dave):
        client = client_for(user)
        for url in (GENERAL, CALENDAR):
            assert client.get(url).status_code == 403
            assert client.post(url, {"osoz_cards_enabled": "on"}).status_code == 403
    assert not booking_settings().osoz_cards_enabled
