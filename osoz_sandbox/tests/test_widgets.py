"""Widgets of manual §3.3 (SBX-4): shown only on the allowed domains; "Pokaż kod"; and the Provider Service pages."""

import pytest
from django.test import Client

from osoz_sandbox.models import Widget, WidgetKind


@pytest.fixture
def timetable_widget(published, entity):
    return Widget.objects.create(entity=entity, kind=WidgetKind.DOCTOR_TIMETABLE, doctor_id="d1", days=3)


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_REFERER": "https://przychodnia.pl/kontakt"},
        {"HTTP_REFERER": "https://rejestracja.przychodnia.pl/"},
        {"HTTP_ORIGIN": "https://przychodnia.pl"},
    ],
)
def test_widget_is_shown_on_allowed_domains(timetable_widget, headers):
    response = Client().get(f"/widget/{timetable_widget.pk}/", **headers)
    assert response.status_code == 200
    assert "lek. Anna Kowalska" in response.text
    assert "09:20" in response.text
    assert (
        "frame-ancestors 'self' http://przychodnia.pl:* https://przychodnia.pl:*" in response["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_REFERER": "https://inna-przychodnia.pl/"}, {"HTTP_REFERER": "https://przychodnia.pl.evil.com/"}],
)
def test_widget_is_refused_elsewhere(timetable_widget, headers):
    response = Client().get(f"/widget/{timetable_widget.pk}/", **headers)
    assert response.status_code == 403
    assert "nie może być wyświetlany w tej domenie" in response.text
    assert "Anna Kowalska" not in response.text


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (WidgetKind.DOCTOR_INFO, "Kardiolog z dwudziestoletnim doświadczeniem."),
        (WidgetKind.DOCTOR_NEXT_SLOT, "Najbliższy wolny termin"),
        (WidgetKind.DOCTOR_BUTTON, "Umów wizytę – lek. Anna Kowalska"),
    ],
)
def test_doctor_widget_kinds(published, entity, kind, expected):
    widget = Widget.objects.create(entity=entity, kind=kind, doctor_id="d1")
    response = Client().get(f"/widget/{widget.pk}/", HTTP_REFERER="https://przychodnia.pl/")
    assert expected in response.text


def test_show_code_gives_the_embed_code(client, provider_user):
    client.force_login(provider_user)
    response = client.post("/provider/widgety/", {"kind": "all_doctors", "doctor_id": "", "days": 7})
    widget = Widget.objects.get()
    assert response.url == f"/provider/widgety/{widget.pk}/kod/"
    code_page = client.get(response.url).text
    assert f"&lt;iframe src=&quot;http://testserver/widget/{widget.pk}/&quot;" in code_page
    assert "przychodnia.pl" in code_page


def test_doctor_widget_needs_a_doctor(client, provider_user):
    client.force_login(provider_user)
    response = client.post("/provider/widgety/", {"kind": "doctor_button", "doctor_id": "", "days": 7})
    assert response.status_code == 200
    assert "wybierz go" in response.text
    assert not Widget.objects.exists()


def test_domains_are_validated_and_saved(client, provider_user, entity):
    client.force_login(provider_user)
    bad = client.post("/provider/widgety/", {"save_domains": "1", "widget_domains": "http://zla domena"})
    assert "Nieprawidłowe domeny" in bad.text
    client.post("/provider/widgety/", {"save_domains": "1", "widget_domains": "Przychodnia.pl\nosoz.pl\nosoz.pl"})
    entity.refresh_from_db()
    assert entity.allowed_domains == ["przychodnia.pl", "osoz.pl"]


def test_settings_page_saves_tabela_4(client, provider_user, entity):
    client.force_login(provider_user)
    page = client.get("/provider/ustawienia/").text
    for label in (
        "Blokada wielokrotnej rejestracji do specjalisty",
        "Rejestracja bez karty pacjenta",
        "Telewizyta",
        "Automatyczne włączanie Rejestracji on-line dla nowych Ubezpieczycieli",
        "E-mail zwrotny",
    ):
        assert label in page
    response = client.post(
        "/provider/ustawienia/",
        {"online_registration": "on", "pesel_required": "on", "reply_email": "r@przychodnia.pl"},
    )
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.pesel_required and not entity.group_by_clinic
    assert Client().get("/provider/ustawienia/").status_code == 302  # login required


def test_provider_home_lists_published_data(client, provider_user, published):
    client.force_login(provider_user)
    html = client.get("/provider/").text
    assert "Przychodnia Centrum" in html and "lek. Anna Kowalska" in html
    assert "oferowany jako wizyta" in html
