"""The seed text's videoconsultation in two browsers (POR-4…POR-6): the patient, logged into the portal, opens his
visit, runs the test connection (fake camera and microphone), writes in "Czat" with a PDF before the visit and clicks
"Połącz"; the doctor's open calendar shows at once that he is ready, the doctor reads the chat in the visit and calls
with "Wykonaj telewizytę", and they are connected. After the visit the patient writes again and the doctor reads it.
Every portal page passes axe-core, on a desktop and on a phone (screenshots in /tmp/shots/portal_c/)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from conftest import browser_login
from portal.sessions import ACCOUNT_KEY, HASH_KEY, SessionStore
from portal.tests.booking_setup import account_make
from scheduling.models import AppointmentStatus
from televisit.models import Televisit, VisitMessage
from tests.axe import assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
]

SHOTS = Path("/tmp/shots/portal_c")  # noqa: S108 - where the team looks at the screenshots
PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
WAIT_MS = 30_000  # two Chromiums with fake media on a loaded machine


def portal_login(page, account, server):
    """The patient's portal session, as portal.sessions.portal_login leaves it, in the page's cookies."""
    session = SessionStore()
    session[ACCOUNT_KEY] = account.pk
    session[HASH_KEY] = account.password[-16:]
    session.save()
    page.context.add_cookies(
        [{"name": settings.PORTAL_SESSION_COOKIE_NAME, "value": session.session_key, "url": f"{server.url}/portal/"}]
    )


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def on_phone(page, name):
    """The page at 390x844 passes axe too; screenshots of both sizes."""
    shoot(page, f"{name}_desktop")
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    shoot(page, f"{name}_phone")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_patient_connects_and_chats_and_the_doctor_calls(
    media_page_for, asgi_live_server, televisit_today, clock, settings
):
    settings.PORADNIA_PUBLIC_URL = asgi_live_server.url
    appointment = televisit_today
    account = account_make("ewa.zdalna@example.com", patient=appointment.patient)
    visit_path = reverse("portal:visit", kwargs={"appointment_id": appointment.pk})
    clock.move_to(appointment.starts_at - timedelta(minutes=20))

    patient = media_page_for()
    patient.set_default_timeout(WAIT_MS)
    portal_login(patient, account, asgi_live_server)
    patient.goto(visit_path)
    expect(patient.get_by_role("heading", name="Szczegóły wizyty")).to_be_visible()
    expect(patient.get_by_text("Videokonsultacja", exact=True)).to_be_visible()
    connect = patient.get_by_role("button", name="Połącz", exact=True)
    expect(connect).to_be_disabled()
    expect(patient.get_by_text("Przycisk „Połącz” będzie aktywny od 01.12.2026, 09:55.")).to_be_visible()

    # Połączenie testowe: the picture, the level and the connection, shown once asked for.
    expect(patient.locator("#check-media")).to_be_hidden()
    patient.get_by_role("button", name="Wykonaj połączenie testowe").click()
    expect(patient.locator("#check-media")).to_be_visible()
    for item in ("camera", "microphone", "connection"):
        expect(patient.locator(f"[data-check='{item}']")).to_have_attribute("data-state", "ok", timeout=WAIT_MS)
    expect(patient.locator("[data-check='connection'] [data-when='ok']")).to_have_text("działa")
    patient.wait_for_function("() => document.getElementById('check-video').videoWidth > 0")
    assert_accessible(patient)
    on_phone(patient, "visit_before")

    # Czat before the visit, with a PDF.
    patient.get_by_role("link", name="Czat").click()
    expect(patient.get_by_role("heading", name="Czat", exact=True)).to_be_visible()
    patient.get_by_label("Wiadomość", exact=True).fill("Przesyłam wynik badania krwi.")
    patient.get_by_label("Dokument lub wynik badania (opcjonalnie)").set_input_files(
        {"name": "morfologia.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    patient.get_by_role("button", name="Wyślij").click()
    expect(patient.get_by_role("link", name="morfologia.pdf")).to_be_visible()
    expect(patient.get_by_text("Przesyłam wynik badania krwi.")).to_be_visible()
    assert_accessible(patient)
    on_phone(patient, "chat_before")

    # The doctor's calendar is open when the patient clicks Połącz, five minutes before.
    doctor_page = media_page_for()
    doctor_page.set_default_timeout(WAIT_MS)
    browser_login(doctor_page, appointment.employee.user)
    doctor_page.goto(reverse("scheduling:calendar"))
    expect(doctor_page.locator("body[data-calendar-live='on']")).to_be_attached()

    clock.move_to(appointment.starts_at - timedelta(minutes=5))
    portal_login(patient, account, asgi_live_server)  # a new login: the clock jumped past the idle timeout
    patient.goto(visit_path)
    expect(connect).to_be_enabled()
    connect.click()
    patient.wait_for_url("**/telewizyta/pacjent/**")
    expect(patient.get_by_text("Oczekiwanie na połączenie od pracownika medycznego.", exact=False)).to_be_visible()
    assert Televisit.objects.get(appointment=appointment).patient_waiting()

    notice = doctor_page.locator("#calendar-notices .tv-ready")
    expect(notice).to_contain_text("Pacjent jest gotowy do videokonsultacji")
    shoot(doctor_page, "calendar_notice")
    notice.get_by_role("link", name="Przejdź do wizyty").click()
    expect(doctor_page.locator("#tv-ready-notices")).to_contain_text("Pacjent jest gotowy do videokonsultacji")
    chat = doctor_page.locator("#czat")
    expect(chat.get_by_role("heading")).to_contain_text("1 nowa wiadomość")
    expect(chat).to_contain_text("Przesyłam wynik badania krwi.")
    expect(chat.get_by_role("link", name="morfologia.pdf")).to_be_visible()
    shoot(doctor_page, "visit_ready")

    with doctor_page.expect_popup() as opened:
        doctor_page.get_by_role("link", name="Wykonaj telewizytę").click()
    window = opened.value
    window.set_default_timeout(WAIT_MS)
    patient.get_by_role("button", name="Odbierz").click()
    for side in (window, patient):
        side.wait_for_function(
            "() => ['connected', 'completed'].includes(document.getElementById('televisit').dataset.ice)",
            timeout=WAIT_MS,
            polling=200,
        )
    # The seed text: during the visit the chat with the doctor and the documents are on the right of the screen.
    patient.get_by_role("button", name="Czat", exact=True).click()
    expect(patient.get_by_role("heading", name="Czat", exact=True)).to_be_visible()
    assert patient.locator("#tv-chat").bounding_box()["x"] > patient.locator(".tv-stage").bounding_box()["x"]
    shoot(patient, "call_patient")
    shoot(window, "call_doctor")
    window.get_by_role("button", name="Zakończ telewizytę").click()
    expect(patient.get_by_text("Telewizyta zakończona")).to_be_visible()
    assert not Televisit.objects.get(appointment=appointment).patient_waiting()

    # After the visit: the chat still takes the patient's question, and the doctor reads it in the visit.
    appointment.status = AppointmentStatus.DONE
    appointment.save(update_fields=["status"])
    clock.move_to(appointment.ends_at + timedelta(hours=3))
    portal_login(patient, account, asgi_live_server)
    patient.goto(visit_path)
    expect(patient.get_by_role("button", name="Połącz", exact=True)).to_have_count(0)
    patient.get_by_role("link", name="Czat").click()
    patient.get_by_label("Wiadomość", exact=True).fill("Dziękuję, czy mam powtórzyć badanie?")
    patient.get_by_role("button", name="Wyślij").click()
    expect(patient.get_by_text("Dziękuję, czy mam powtórzyć badanie?")).to_be_visible()
    assert_accessible(patient)
    on_phone(patient, "chat_after")

    browser_login(doctor_page, appointment.employee.user)  # the staff session timed out meanwhile too
    doctor_page.goto(reverse("scheduling:visit", kwargs={"pk": appointment.pk}))
    expect(doctor_page.locator("#czat")).to_contain_text("Dziękuję, czy mam powtórzyć badanie?")
    doctor_page.get_by_label("Odpowiedź dla pacjenta").fill("Proszę powtórzyć za miesiąc.")
    doctor_page.get_by_role("button", name="Wyślij").click()
    expect(doctor_page.locator("#czat")).to_contain_text("Proszę powtórzyć za miesiąc.")
    assert VisitMessage.objects.filter(appointment=appointment).count() == 3

    # The patient's visit counts the reply as new until he opens the chat.
    patient.goto(visit_path)
    expect(patient.get_by_role("link", name="Czat")).to_contain_text("1 nowa wiadomość")
    on_phone(patient, "visit_after")
