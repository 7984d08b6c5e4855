"""A televisit between two browsers (TV-2…TV-5, Tabela 12 and 13): the doctor calls from the visit, the patient answers
from his link, and each side's picture and sound reach the other — measured by the receiving peer connection's
statistics — until the window's functions turn them off, the chat carries a message and Zakończ telewizytę ends both
windows. All on loopback, with Chromium's fake camera and microphone."""

import base64
import time
from datetime import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conftest import browser_login
from core.models import AuditEvent
from core.time import WARSAW
from scheduling.models import AppointmentKind, BookingSettings
from scheduling.tests.factories import AppointmentFactory
from televisit.models import VisitDocument, VisitDocumentKind
from televisit.services import televisit_patient_link

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
]

# Keeps every peer connection the page makes, and reads what arrives on the newest one: the inbound RTP of a kind.
RECORDER = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.__pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  window.__inbound = async (kind) => {
    const pc = window.__pcs[window.__pcs.length - 1];
    if (!pc) return null;
    const stats = await pc.getStats();
    let found = null;
    stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === kind) found = s; });
    return found && {bytes: found.bytesReceived || 0, frames: found.framesDecoded || 0,
                     energy: found.totalAudioEnergy || 0, level: found.audioLevel || 0};
  };
  window.__ice = () => window.__pcs.length ? window.__pcs[window.__pcs.length - 1].iceConnectionState : "none";
})();
"""


def inbound(page, kind):
    return page.evaluate("kind => window.__inbound(kind)", kind)


def rises(page, kind, field, by=1, timeout=10_000):
    """Wait until the inbound `field` of `kind` grows by at least `by` from now."""
    start = (inbound(page, kind) or {}).get(field, 0)
    page.wait_for_function(
        "([kind, field, target]) => window.__inbound(kind).then(s => s !== null && s[field] >= target)",
        arg=[kind, field, start + by],
        timeout=timeout,
        polling=200,
    )


def stays(page, kind, field, seconds=1.5, tolerance=0.0, within=10.0):
    """The inbound `field` of `kind` comes to a stop — hardly moves over `seconds` — within `within` seconds: what
    arrives has stopped (or is silence). What was in flight or in the jitter buffer when it was switched off may
    still play for a while on a loaded machine, so the quiet window is looked for, not assumed at once."""
    deadline = time.monotonic() + within
    while True:
        before = inbound(page, kind)[field]
        page.wait_for_timeout(seconds * 1000)
        if inbound(page, kind)[field] - before <= tolerance:
            return True
        if time.monotonic() > deadline:
            return False


def connected(page):
    page.wait_for_function("() => ['connected', 'completed'].includes(window.__ice())", timeout=20_000, polling=200)


def patient_opens(media_page_for, appointment):
    patient = media_page_for()
    patient.context.add_init_script(RECORDER)
    patient.goto(televisit_patient_link(appointment=appointment).removeprefix("http://127.0.0.1:8000"))
    return patient


def test_doctor_and_patient_see_hear_and_chat_until_the_doctor_ends_it(media_page_for, televisit_today):
    carol = televisit_today.employee.user
    patient = patient_opens(media_page_for, televisit_today)
    expect(patient.get_by_text("Oczekiwanie na połączenie od pracownika medycznego")).to_be_visible()
    # The pre-call check: his own picture, and the microphone's level moving.
    patient.wait_for_function("() => document.getElementById('tv-local').videoWidth > 0")
    patient.wait_for_function("() => document.getElementById('tv-level').value > 0", timeout=10_000)

    visit = media_page_for()
    visit.context.add_init_script(RECORDER)
    browser_login(visit, carol)
    visit.goto(reverse("scheduling:visit", kwargs={"pk": televisit_today.pk}))
    with visit.expect_popup() as opened:
        visit.get_by_role("link", name="Wykonaj telewizytę").click()
    doctor = opened.value
    doctor.set_default_timeout(10_000)
    # Today's visit: the call starts at once, and the patient is told who calls.
    expect(doctor.get_by_text("Pacjent otworzył link do telewizyty.")).to_be_visible()
    patient.get_by_role("button", name="Odbierz").click()
    connected(doctor)
    connected(patient)

    # Picture and sound, both ways.
    for receiver in (doctor, patient):
        rises(receiver, "video", "bytes", by=20_000)
        rises(receiver, "video", "frames", by=10)
        rises(receiver, "audio", "energy", by=1e-6)
    assert inbound(doctor, "audio")["bytes"] > 0 and inbound(patient, "audio")["bytes"] > 0

    # Mikrofon off: the patient hears silence; on again: sound.
    doctor.get_by_role("button", name="Mikrofon").click()
    expect(doctor.get_by_role("button", name="Mikrofon")).to_have_attribute("aria-pressed", "false")
    expect(patient.get_by_text("Rozmówca wyłączył mikrofon.")).to_be_visible()
    assert stays(patient, "audio", "energy", seconds=2, tolerance=1e-7)
    doctor.get_by_role("button", name="Mikrofon").click()
    rises(patient, "audio", "energy", by=1e-6)

    # Kamera off: no more frames reach the patient; on again: they do.
    doctor.get_by_role("button", name="Kamera").click()
    expect(patient.get_by_text("Rozmówca wyłączył kamerę.")).to_be_visible()
    assert stays(patient, "video", "frames", seconds=1.5)
    doctor.get_by_role("button", name="Kamera").click()
    rises(patient, "video", "frames", by=10)

    # Podgląd kamery hides the doctor's own preview only; Dźwięk mutes what he hears.
    doctor.get_by_role("button", name="Podgląd kamery").click()
    expect(doctor.locator("#tv-local")).to_be_hidden()
    doctor.get_by_role("button", name="Dźwięk").click()
    assert doctor.evaluate("() => document.getElementById('tv-remote-audio').muted")

    # Czat: the patient writes; the doctor's chat opens with the message, as text.
    patient.get_by_role("button", name="Czat").click()
    patient.get_by_label("Wiadomość").fill("Wyniki mam <b>w domu</b>")
    patient.get_by_role("button", name="Wyślij").click()
    message = doctor.locator("#tv-messages li")
    expect(message).to_have_text("Pacjent: Wyniki mam <b>w domu</b>")
    expect(message.locator("b")).to_have_count(0)

    doctor.get_by_role("button", name="Zakończ telewizytę").click()
    expect(doctor.get_by_text("Telewizyta zakończona")).to_be_visible()
    expect(patient.get_by_text("Telewizyta zakończona")).to_be_visible()
    actions = list(
        AuditEvent.objects.filter(action__startswith="televisit").order_by("id").values_list("action", flat=True)
    )
    assert actions[:3] == ["televisit_started", "televisit_connected", "televisit_ended"]
    # The visit stays open in its own tab meanwhile (TV-7).
    expect(visit.get_by_role("heading", name="Notatki związane z wizytą")).to_be_visible()


def test_an_absent_patient_fails_the_call_and_polacz_ponownie_rings_him_once_he_came(
    settings, media_page_for, televisit_today
):
    settings.TELEVISIT_ANSWER_SECONDS = 10  # the retry must ring long enough to be answered on a loaded machine
    doctor = media_page_for()
    doctor.context.add_init_script(RECORDER)
    browser_login(doctor, televisit_today.employee.user)
    doctor.goto(reverse("televisit:televisit", kwargs={"appointment_id": televisit_today.pk}))
    expect(doctor.get_by_text("Nie udało się nawiązać połączenia")).to_be_visible(timeout=20_000)
    expect(doctor.get_by_text("Pacjent nie otworzył jeszcze linku do telewizyty.")).to_be_visible()

    patient = patient_opens(media_page_for, televisit_today)
    expect(doctor.get_by_text("Pacjent otworzył link do telewizyty.")).to_be_visible()
    doctor.get_by_role("button", name="Połącz ponownie").click()
    patient.get_by_role("button", name="Odbierz").click()
    connected(doctor)
    connected(patient)


def test_a_future_visit_says_when_on_both_sides_and_polacz_teraz_calls_anyway(media_page_for, carol_schedule):
    appointment = AppointmentFactory(
        schedule=carol_schedule, starts_at=datetime(2026, 12, 3, 9, tzinfo=WARSAW), kind=AppointmentKind.TELEVISIT
    )
    notice = "Konsultacja zaplanowana jest za 2 dni, na 3 grudnia 2026, o godzinie 9:00"
    patient = patient_opens(media_page_for, appointment)
    expect(patient.get_by_text(notice)).to_be_visible()
    doctor = media_page_for()
    doctor.context.add_init_script(RECORDER)
    browser_login(doctor, carol_schedule.employee.user)
    doctor.goto(reverse("televisit:televisit", kwargs={"appointment_id": appointment.pk}))
    expect(doctor.get_by_text(notice)).to_be_visible()
    expect(patient.get_by_role("button", name="Odbierz")).to_be_hidden()  # nobody calls by himself

    doctor.get_by_role("button", name="Połącz teraz").click()
    patient.get_by_role("button", name="Odbierz").click()
    connected(doctor)
    connected(patient)
    rises(patient, "video", "frames", by=10)


# A file of the page's as a video element plays it: its picture's size, and its duration — which a WebM that
# MediaRecorder wrote does not state, so the end is sought to have the browser find it.
PLAYS = """
async (b64) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const video = document.createElement("video");
  video.muted = true;
  video.src = URL.createObjectURL(new Blob([bytes], {type: "video/webm"}));
  await new Promise((ok, ko) => { video.onloadedmetadata = ok; video.onerror = () => ko(video.error.message); });
  if (!isFinite(video.duration)) {
    video.currentTime = 1e9;
    await new Promise(ok => { video.ontimeupdate = () => isFinite(video.duration) && ok(); });
  }
  video.currentTime = 1;
  await new Promise(ok => { video.onseeked = ok; });
  return {width: video.videoWidth, height: video.videoHeight, duration: video.duration};
}
"""


def test_the_call_is_recorded_paused_and_saved_by_the_doctors_browser_and_attached_to_the_visit(
    media_page_for, televisit_today
):
    BookingSettings.objects.update_or_create(id=1, defaults={"televisit_recordings_attached": True})
    patient = patient_opens(media_page_for, televisit_today)
    expect(patient.get_by_text("jest automatycznie nagrywany")).to_be_visible()
    doctor = media_page_for()
    doctor.context.add_init_script(RECORDER)
    browser_login(doctor, televisit_today.employee.user)
    doctor.goto(reverse("televisit:televisit", kwargs={"appointment_id": televisit_today.pk}))
    patient.get_by_role("button", name="Odbierz").click()
    connected(doctor)
    connected(patient)

    # Recording starts with the call, and the patient sees that it does.
    recording = doctor.get_by_role("button", name="Nagrywanie")
    expect(recording).to_have_attribute("aria-pressed", "true", timeout=10_000)
    expect(patient.locator("#tv-recording")).to_be_visible()
    doctor.wait_for_timeout(3_000)
    # Nagrywanie off pauses it without ending the call; on again, it goes on.
    recording.click()
    expect(recording).to_have_attribute("aria-pressed", "false")
    expect(patient.locator("#tv-recording")).to_be_hidden()
    rises(patient, "video", "frames", by=10)
    recording.click()
    expect(patient.locator("#tv-recording")).to_be_visible()
    doctor.wait_for_timeout(3_000)

    with doctor.expect_download() as saving:
        doctor.get_by_role("button", name="Zakończ telewizytę").click()
    saved = Path(saving.value.path()).read_bytes()
    name = saving.value.suggested_filename
    assert name.startswith("telewizyta-") and name.endswith(".webm")
    expect(doctor.get_by_text("Nagranie telewizyty zapisano w folderze pobranych plików.")).to_be_visible()
    expect(patient.locator("#tv-recording")).to_be_hidden()
    # The file plays: both pictures side by side, as long as the recording was on (the pause is not in it).
    played = doctor.context.new_page().evaluate(PLAYS, base64.b64encode(saved).decode())  # a blank tab, no CSP
    assert (played["width"], played["height"]) == (1280, 480)
    assert 4 < played["duration"] < 30

    # Attached to the visit as well: the same bytes, once all chunks are there (uploaded while recording, the last
    # ones after the end; on a busy machine that took over 20 s once).
    expect(doctor.get_by_text("Nagranie dołączono do dokumentów wizyty.")).to_be_visible(timeout=90_000)
    document = VisitDocument.objects.get(appointment=televisit_today, kind=VisitDocumentKind.RECORDING)
    assert document.complete
    with document.file.open("rb") as stored:
        assert stored.read() == saved
    actions = set(AuditEvent.objects.filter(action__startswith="televisit").values_list("action", flat=True))
    assert {"televisit_recording_saved", "televisit_recording_attached"} <= actions
