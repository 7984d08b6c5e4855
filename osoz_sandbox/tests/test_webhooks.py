"""The platform calling the clinic: the signed synchronous bookingApproval webhook and the bookingEventsNudge
deliveries with retries, against a real HTTP receiver running in a thread."""

import datetime
import hashlib
import hmac
import io
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone

from osoz_sandbox import bookings, selectors, services, webhooks
from osoz_sandbox.contract import validate
from osoz_sandbox.models import Booking, FaultSettings, Notification, WebhookDelivery
from osoz_sandbox.tests.conftest import RETURN_URL
from osoz_sandbox.tests.test_bookings_api import (  # noqa: F401 (private_key and site are fixtures)
    OTHER_PESEL,
    SET1,
    at,
    free_times,
    private_key,
    request_for,
    site,
)

# Every test runs against the published clinic of test_bookings_api: location 1, doctors d1 and d2.
pytestmark = pytest.mark.usefixtures("site")


class QuietServer(ThreadingHTTPServer):
    """A slow clinic's answer may find the sandbox gone (it timed out); that broken pipe is the point, not news."""

    def handle_error(self, request, client_address):
        pass


class Receiver:
    """A clinic's webhook endpoint: records every request and answers with the scripted responses in order (the
    last one repeats)."""

    def __init__(self):
        self.requests: list[dict] = []
        # Cleared, the receiver holds its answers (a slow clinic) until it is set again or 3 s pass.
        self.released = threading.Event()
        self.released.set()
        self.responses: dict[str, list[tuple[int, bytes]]] = {}
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                receiver.released.wait(timeout=3)
                scripted = receiver.responses.get(self.path, [(204, b"")])
                status, content = scripted.pop(0) if len(scripted) > 1 else scripted[0]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):
                pass

        return Handler

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def answer(self, path: str, *responses: tuple[int, object]):
        self.responses[path] = [
            (status, content if isinstance(content, bytes) else json.dumps(content).encode())
            for status, content in responses
        ]

    def received(self, path: str) -> list[dict]:
        return [request for request in self.requests if request["path"] == path]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def assert_signed(request: dict, secret: str):
    """Verify a webhook as the contract tells the clinic to."""
    headers = request["headers"]
    timestamp = headers["X-OSOZ-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 300
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-OSOZ-Signature"], f"v1={expected}")
    uuid.UUID(headers["X-OSOZ-Event-Id"])
    assert headers["Content-Type"] == "application/json"


@pytest.fixture
def approval(entity, receiver):
    entity.booking_approval_url = receiver.url("/osoz/v1/booking-approval")
    entity.save()
    return "/osoz/v1/booking-approval"


@pytest.fixture
def nudges(entity, receiver):
    entity.webhook_url = receiver.url("/osoz/v1/booking-events")
    entity.save()
    return "/osoz/v1/booking-events"


def faults_set(**values):
    FaultSettings.objects.update_or_create(id=FaultSettings.SINGLETON_ID, defaults=values)


def test_signature_is_the_hmac_of_timestamp_and_body():
    body = b'{"latest_cursor":"ZTox"}'
    expected = hmac.new(b"sekret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.signature(secret="sekret", timestamp="1700000000", body=body) == f"v1={expected}"
    assert webhooks.signature(secret="inny", timestamp="1700000000", body=body) != f"v1={expected}"


# --- bookingApproval ---------------------------------------------------------------------------------------------


def test_accepted_approval_confirms_the_booking_at_once(entity, credentials, receiver, approval):
    receiver.answer(approval, (200, {"decision": "accepted", "reason": None, "appointment_ref": "appt-77"}))
    booking, token = bookings.booking_create(request_for(entity, phone="600100200"))
    assert (booking.status, booking.appointment_ref) == ("accepted", "appt-77")

    [request] = receiver.received(approval)
    assert_signed(request, credentials["webhook_secret"])
    sent = json.loads(request["body"])
    validate("Booking", sent)
    assert sent["booking_id"] == str(booking.booking_id) and sent["status"] == "pending"
    email = Notification.objects.get(booking=booking, recipient="jan.kowalski@example.com")
    assert email.subject == "Wizyta umówiona" and f"/lbk/rezerwacja/{token}/" in email.body
    # The feed still carries the booking, as it was when it was made.
    assert [event.payload["status"] for event in booking.events.all()] == ["pending"]


def test_rejected_approval_shows_the_clinics_reason_and_frees_the_slot(entity, receiver, approval):
    receiver.answer(approval, (200, {"decision": "rejected", "reason": SET1, "appointment_ref": None}))
    booking, _ = bookings.booking_create(request_for(entity, phone="600100200"))
    assert (booking.status, booking.reason) == ("rejected", SET1)
    assert free_times(entity) == ["09:00", "09:20", "09:40"]
    email = Notification.objects.get(booking=booking, recipient="jan.kowalski@example.com")
    assert email.subject == "Rezerwacja wizyty odrzucona" and f"Powód: {SET1}" in email.body
    assert "/lbk/rezerwacja/" not in email.body
    assert SET1 in Notification.objects.get(booking=booking, channel="sms").body


@pytest.mark.parametrize(
    "response",
    [
        (500, {"detail": "Błąd"}),
        (200, b"to nie jest JSON"),
        (200, {"decision": "accepted", "reason": None, "appointment_ref": None}),
        (200, {"decision": "maybe", "reason": None, "appointment_ref": "a1"}),
        (401, b""),
    ],
)
def test_anything_but_a_valid_decision_leaves_the_booking_pending(entity, receiver, approval, response):
    receiver.answer(approval, response)
    booking, _ = bookings.booking_create(request_for(entity))
    assert booking.status == "pending" and booking.appointment_ref == ""
    assert len(receiver.received(approval)) == 1
    email = Notification.objects.get(booking=booking, recipient="jan.kowalski@example.com")
    assert "Placówka potwierdzi wizytę" in email.body


def test_an_unreachable_clinic_leaves_the_booking_pending(entity, receiver):
    receiver.server.shutdown()
    receiver.server.server_close()
    entity.booking_approval_url = receiver.url("/osoz/v1/booking-approval")
    entity.save()
    booking, _ = bookings.booking_create(request_for(entity))
    assert booking.status == "pending"


def test_a_slow_clinic_times_out_and_the_booking_stays_pending(entity, receiver, approval, monkeypatch):
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.3)
    receiver.answer(approval, (200, {"decision": "accepted", "reason": None, "appointment_ref": "a1"}))
    receiver.released.clear()
    started = time.monotonic()
    booking, _ = bookings.booking_create(request_for(entity))
    elapsed = time.monotonic() - started
    receiver.released.set()
    assert booking.status == "pending" and elapsed < 2


def test_approval_is_signed_with_the_newest_secret(entity, credentials, receiver, approval):
    code = services.connect_code_issue(entity=entity, return_url=RETURN_URL)
    newer = services.connect_token_exchange(code=code, return_url=RETURN_URL, api_base_url="http://testserver")
    receiver.answer(approval, (200, {"decision": "accepted", "reason": None, "appointment_ref": "a1"}))
    bookings.booking_create(request_for(entity))
    [request] = receiver.received(approval)
    assert_signed(request, newer["webhook_secret"])
    with pytest.raises(AssertionError):
        assert_signed(request, credentials["webhook_secret"])


def test_duplicate_deliveries_repeat_the_approval_with_the_same_event_id(entity, receiver, approval):
    faults_set(duplicate_deliveries=True)
    # The clinic answers the first copy and refuses the replayed one, as its replay protection should.
    receiver.answer(approval, (200, {"decision": "accepted", "reason": None, "appointment_ref": "a1"}), (401, b""))
    booking, _ = bookings.booking_create(request_for(entity))
    first, second = receiver.received(approval)
    assert first["headers"]["X-OSOZ-Event-Id"] == second["headers"]["X-OSOZ-Event-Id"]
    assert first["body"] == second["body"]
    assert booking.status == "accepted"


def test_no_approval_call_while_webhooks_are_down(entity, receiver, approval):
    faults_set(down=True)
    receiver.answer(approval, (200, {"decision": "accepted", "reason": None, "appointment_ref": "a1"}))
    booking, _ = bookings.booking_create(request_for(entity))
    assert booking.status == "pending" and receiver.received(approval) == []


def test_a_late_decision_does_not_overrule_the_patient(entity, receiver, approval):
    booking, _ = bookings.booking_create(request_for(entity))
    bookings.booking_cancel_by_patient(booking=booking, reason="")
    receiver.answer(approval, (200, {"decision": "accepted", "reason": None, "appointment_ref": "a1"}))
    assert webhooks.approval_request(booking) is False
    assert Booking.objects.get(pk=booking.pk).status == "cancelled_by_patient"


# --- bookingEventsNudge ----------------------------------------------------------------------------------------


def test_no_nudges_without_a_webhook_url(entity):
    bookings.booking_create(request_for(entity))
    assert not WebhookDelivery.objects.exists()


def test_a_nudge_carries_the_latest_cursor_signed(entity, credentials, api, receiver, nudges):
    first, _ = bookings.booking_create(request_for(entity))
    bookings.booking_create(request_for(entity, starts_at=at(9, 20), pesel=OTHER_PESEL))
    # Both events share one waiting nudge.
    [delivery] = WebhookDelivery.objects.all()
    assert webhooks.deliveries_send_due() == 1
    [request] = receiver.received(nudges)
    assert_signed(request, credentials["webhook_secret"])
    assert request["headers"]["X-OSOZ-Event-Id"] == str(delivery.event_id)
    cursor = json.loads(request["body"])["latest_cursor"]
    page = api.get("/api/v1/booking-events").json()
    assert cursor == page["next_cursor"] and len(page["events"]) == 2
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.attempts == 1
    # A patient cancellation is a new event: a new nudge.
    bookings.booking_cancel_by_patient(booking=first, reason="")
    assert webhooks.deliveries_send_due() == 1
    assert (
        json.loads(receiver.received(nudges)[-1]["body"])["latest_cursor"]
        == api.get("/api/v1/booking-events").json()["next_cursor"]
    )


def test_the_nudge_waits_for_the_approval_call(entity, receiver, approval, nudges):
    receiver.answer(approval, (200, {"decision": "accepted", "reason": None, "appointment_ref": "a1"}))
    bookings.booking_create(request_for(entity))
    assert [request["path"] for request in receiver.requests] == [approval]
    # Held while the clinic was being asked, then released at once.
    assert WebhookDelivery.objects.get().next_attempt_at <= timezone.now()
    assert webhooks.deliveries_send_due() == 1
    assert [request["path"] for request in receiver.requests] == [approval, nudges]


def test_failed_nudges_are_retried_with_backoff_for_a_day(entity, receiver, nudges):
    receiver.answer(nudges, (500, {"detail": "Błąd"}))
    bookings.booking_create(request_for(entity))
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    assert webhooks.deliveries_send_due(now=now) == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error == "Odpowiedź HTTP 500."
    assert delivery.next_attempt_at == now + datetime.timedelta(seconds=10)
    # Not due yet.
    assert webhooks.deliveries_send_due(now=now + datetime.timedelta(seconds=9)) == 0
    assert len(receiver.received(nudges)) == 1
    later = now + datetime.timedelta(seconds=10)
    webhooks.deliveries_send_due(now=later)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == later + datetime.timedelta(seconds=20)
    # The receiver is back: the same delivery (same event id) arrives.
    receiver.answer(nudges, (204, b""))
    assert webhooks.deliveries_send_due(now=later + datetime.timedelta(seconds=20)) == 1
    event_ids = {request["headers"]["X-OSOZ-Event-Id"] for request in receiver.received(nudges)}
    assert event_ids == {str(delivery.event_id)}
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.last_error == ""


def test_retries_stop_after_24_hours(entity, receiver, nudges):
    receiver.answer(nudges, (503, b""))
    bookings.booking_create(request_for(entity))
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=20)
    almost_a_day = delivery.created_at + datetime.timedelta(hours=23, minutes=30)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=almost_a_day)
    assert webhooks.deliveries_send_due(now=almost_a_day) == 0
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is None and delivery.delivered_at is None
    assert delivery.last_error == "Odpowiedź HTTP 503. Zrezygnowano po 24 godzinach prób."
    assert webhooks.deliveries_send_due(now=almost_a_day + datetime.timedelta(hours=1)) == 0


def test_nudges_wait_while_webhooks_are_down_and_are_sent_after(entity, receiver, nudges):
    bookings.booking_create(request_for(entity))
    faults_set(down=True)
    assert webhooks.deliveries_send_due() == 0
    assert receiver.received(nudges) == [] and WebhookDelivery.objects.get().attempts == 0
    faults_set(down=False)
    output = io.StringIO()
    call_command("sandbox_webhooks_retry", stdout=output)
    assert output.getvalue().strip() == "Dostarczono powiadomień: 1."
    assert len(receiver.received(nudges)) == 1


def test_duplicate_deliveries_send_each_nudge_twice(entity, receiver, nudges):
    faults_set(duplicate_deliveries=True)
    bookings.booking_create(request_for(entity))
    assert webhooks.deliveries_send_due() == 1
    first, second = receiver.received(nudges)
    assert first["headers"]["X-OSOZ-Event-Id"] == second["headers"]["X-OSOZ-Event-Id"]
    assert first["body"] == second["body"]


def test_a_claimed_delivery_is_not_sent_twice(entity, receiver, nudges):
    bookings.booking_create(request_for(entity))
    delivery = WebhookDelivery.objects.get()
    assert webhooks.delivery_attempt(pk=delivery.pk) is True
    assert webhooks.delivery_attempt(pk=delivery.pk) is False
    assert len(receiver.received(nudges)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_background_sender_delivers_right_after_commit(entity, receiver, nudges):
    bookings.booking_create(request_for(entity))
    deadline = time.monotonic() + 10
    while not receiver.received(nudges) and time.monotonic() < deadline:
        time.sleep(0.05)
    [request] = receiver.received(nudges)
    assert json.loads(request["body"])["latest_cursor"] == selectors.booking_cursor(
        Booking.objects.get().events.get().pk
    )
    deadline = time.monotonic() + 5
    while WebhookDelivery.objects.get().delivered_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert WebhookDelivery.objects.get().delivered_at is not None
