"""A televisit relayed through TURN only (TV-5): with TELEVISIT_RELAY_ONLY the two browsers never send each other a
packet directly, so the call connects only through a local coturn with the short-lived credentials televisit.ice
derives; and when that relay goes away in mid-call and comes back, the call comes back by itself (ICE restart) —
the same televisit, with nobody clicking anything. Two Chromiums with fake camera and microphone, all on loopback."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login
from core.models import AuditEvent
from scheduling.models import AppointmentKind, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from televisit.models import Televisit
from televisit.services import televisit_patient_link
from tests.test_televisit_browser import RECORDER, connected, rises

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_specialisations"),
]

# After RECORDER: the ICE connection states the page's peer connections went through, how many signalling sockets it
# opened and when each offer reached it, the ICE username fragment of the newest connection's local description (a
# restart changes it) and the candidate types of the pair it sends over.
PATH = """
(() => {
  window.__iceLog = [];
  window.RTCPeerConnection = class extends window.RTCPeerConnection {
    constructor(...args) {
      super(...args);
      this.addEventListener("iceconnectionstatechange", () => window.__iceLog.push(this.iceConnectionState));
    }
  };
  window.__sockets = 0;
  window.__offers = [];
  window.WebSocket = class extends window.WebSocket {
    constructor(...args) {
      super(...args);
      window.__sockets += 1;
      this.addEventListener("message", (event) => {
        if (JSON.parse(event.data).type === "offer") window.__offers.push(Date.now());
      });
    }
  };
  const newest = () => window.__pcs[window.__pcs.length - 1];
  window.__ufrag = () => newest().localDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1];
  window.__pair = async () => {
    const stats = await newest().getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    return pair && {local: stats.get(pair.localCandidateId).candidateType,
                    remote: stats.get(pair.remoteCandidateId).candidateType};
  };
})();
"""
RECONNECTING = "Połączenie zostało przerwane. Trwa ponowne łączenie…"


@pytest.fixture
def relay_only(settings, coturn):
    settings.TELEVISIT_TURN_URLS = [coturn.url]
    settings.TELEVISIT_TURN_SECRET = coturn.secret
    settings.TELEVISIT_RELAY_ONLY = True
    return coturn


@pytest.fixture
def televisit_now(carol_schedule, coturn):
    """A televisit starting this minute by the real clock, which coturn checks the credentials' expiry against (see
    conftest.OTHER_PROCESS_FIXTURES): today's, so the doctor's window calls at once."""
    return AppointmentFactory(
        schedule=carol_schedule,
        starts_at=timezone.now().replace(second=0, microsecond=0),
        kind=AppointmentKind.TELEVISIT,
        status=AppointmentStatus.CONFIRMED,
    )


def opened(page, path):
    page.context.add_init_script(RECORDER)
    page.context.add_init_script(PATH)
    page.goto(path)
    return page


def call(media_page_for, appointment):
    """The patient waits in his window, the doctor opens hers, which calls; he answers; both ICE connected."""
    link = televisit_patient_link(appointment=appointment)
    patient = opened(media_page_for(), link.removeprefix("http://127.0.0.1:8000"))
    expect(patient.get_by_text("Oczekiwanie na połączenie od pracownika medycznego")).to_be_visible(timeout=20_000)
    doctor = media_page_for()
    browser_login(doctor, appointment.employee.user)
    opened(doctor, reverse("televisit:televisit", kwargs={"appointment_id": appointment.pk}))
    patient.get_by_role("button", name="Odbierz").click(timeout=20_000)
    connected(doctor)
    connected(patient)
    return doctor, patient


def relayed(page):
    return page.evaluate("() => window.__pair()") == {"local": "relay", "remote": "relay"}


def test_a_relay_only_call_connects_through_coturn_both_ways(relay_only, media_page_for, televisit_now):
    doctor, patient = call(media_page_for, televisit_now)
    for receiver in (doctor, patient):
        rises(receiver, "video", "frames", by=10, timeout=30_000)
        rises(receiver, "audio", "bytes", by=1000, timeout=30_000)
        assert relayed(receiver)


def test_the_call_comes_back_by_itself_when_the_relay_returns(relay_only, media_page_for, televisit_now):
    doctor, patient = call(media_page_for, televisit_now)
    televisit = Televisit.objects.get(appointment=televisit_now)
    for receiver in (doctor, patient):
        rises(receiver, "video", "frames", by=10, timeout=30_000)
    ufrags = {side: side.evaluate("() => window.__ufrag()") for side in (doctor, patient)}

    # The relay dies: both windows lose each other and say so, and ICE is restarted (new credentials on both sides)
    # while coturn is away, so that restart finds no relay.
    stopped = patient.evaluate("() => Date.now()")
    relay_only.stop()
    for side in (doctor, patient):
        side.wait_for_function(
            "() => window.__iceLog.some(s => s === 'disconnected' || s === 'failed')", timeout=30_000, polling=200
        )
        expect(side.get_by_text(RECONNECTING)).to_be_visible(timeout=30_000)
        side.wait_for_function("ufrag => window.__ufrag() !== ufrag", arg=ufrags[side], timeout=30_000, polling=200)
    # And restarted again later, not only in the first moment (the doctor's own restart and the one the patient's
    # side asked for): a restart that found no relay is not the last, or a longer outage would end the call for good.
    patient.wait_for_function(
        "stopped => { const offers = window.__offers.filter(t => t > stopped);"
        " return offers.length > 0 && offers[offers.length - 1] - offers[0] >= 4000; }",
        arg=stopped,
        timeout=30_000,
        polling=200,
    )
    for side in (doctor, patient):
        assert side.evaluate("() => window.__ice()") not in ("connected", "completed")

    relay_only.start()
    for side in (doctor, patient):
        connected(side)
    for receiver in (doctor, patient):
        rises(receiver, "video", "frames", by=10, timeout=30_000)
        assert relayed(receiver)
        expect(receiver.get_by_text(RECONNECTING)).to_be_hidden()
        # The same signalling socket carried the restart: it was not a reconnection's welcome that restarted ICE.
        assert receiver.evaluate("() => window.__sockets") == 1
    # The same call, not a new one: nobody called again.
    assert Televisit.objects.get(pk=televisit.pk).started_at == televisit.started_at
    assert AuditEvent.objects.filter(action="televisit_started").count() == 1
