"""The receivers OSOZ calls (contract `webhooks`): the synchronous booking approval and the nudge, both signed with
the entity's webhook secret. Requests come through Django's test client without a login, signed like the platform
signs them (or tampered with, stale, replayed); and the receivers' addresses are told to OSOZ when the integration is
switched on or off."""

import json
import uuid
from datetime import timedelta

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.models import AuditCategory, AuditEvent, AuditOutcome
from osoz_integration import feed, services
from osoz_integration.models import Connection, InboundEvent, OsozBooking, OsozBookingPath
from osoz_integration.tests import contract
from osoz_integration.tests.conftest import connect
from osoz_integration.tests.osoz_bookings import (
    PESEL_EWA,
    SET1,
    WEBHOOK_SECRET,
    booking_document,
    connected,
    keyed_clinic,
    next_weekday,
    osoz_stand_in,
    signed_headers,
)
from patients.models import Patient
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db

APPROVAL = "/osoz/v1/booking-approval"
NUDGE = "/osoz/v1/booking-events"


@pytest.fixture
def clinic():
    connected()
    return keyed_clinic()


def post(client, path: str, body: bytes, **headers):
    return client.post(path, data=body, content_type="application/json", **headers)


def signed_post(client, path: str, document: dict, **overrides):
    body = json.dumps(document).encode()
    return post(client, path, body, **{**signed_headers(body), **overrides})


def security_audit() -> AuditEvent:
    return AuditEvent.objects.get(category=AuditCategory.SECURITY, action="osoz_webhook_rejected")


def test_the_receivers_are_where_osoz_is_told_to_call():
    assert reverse("osoz_booking_approval") == APPROVAL and reverse("osoz_booking_events") == NUDGE


def test_an_approved_booking_is_answered_with_the_appointment(client, clinic):
    document = booking_document(clinic, starts_at=next_weekday(0, 9), note="Ból kolana od tygodnia.")

    response = signed_post(client, APPROVAL, document)

    assert response.status_code == 200
    appointment = Appointment.objects.get()
    assert response.json() == {"decision": "accepted", "reason": None, "appointment_ref": str(appointment.pk)}
    contract._validate("/components/schemas/BookingDecision", response.json(), "the approval answer")
    assert appointment.notes == "Ból kolana od tygodnia."
    record = OsozBooking.objects.get()
    assert (record.path, record.state, record.osoz_state) == (OsozBookingPath.APPROVAL, "accepted", "accepted")
    assert InboundEvent.objects.filter(source="webhook").count() == 1


def test_set1_off_refuses_a_first_time_nfz_patient_with_the_exact_message(client, clinic):
    document = booking_document(clinic, starts_at=next_weekday(3, 10), schedule=clinic.nfz, pesel=PESEL_EWA)

    response = signed_post(client, APPROVAL, document)

    assert response.status_code == 200
    assert response.json() == {"decision": "rejected", "reason": SET1, "appointment_ref": None}
    assert not Patient.objects.exists() and not Appointment.objects.exists()
    assert OsozBooking.objects.get().osoz_state == "rejected"


def test_a_retried_approval_gets_the_same_decision_and_books_once(client, clinic):
    document = booking_document(clinic, starts_at=next_weekday(1, 9))

    first = signed_post(client, APPROVAL, document)
    retry = signed_post(client, APPROVAL, document)  # a new delivery (new event id) of the same booking

    assert first.status_code == retry.status_code == 200 and first.json() == retry.json()
    assert Appointment.objects.count() == 1 and OsozBooking.objects.count() == 1


def test_a_tampered_body_is_refused_and_audited(client, clinic):
    document = booking_document(clinic, starts_at=next_weekday(1, 10))
    headers = signed_headers(json.dumps(document).encode())
    tampered = json.dumps({**document, "starts_at": next_weekday(1, 11).isoformat()}).encode()

    response = post(client, APPROVAL, tampered, **headers)

    assert response.status_code == 401
    assert not OsozBooking.objects.exists() and not Appointment.objects.exists() and not InboundEvent.objects.exists()
    audit = security_audit()
    assert audit.message == "Odrzucono zapytanie OSOZ o zatwierdzenie rezerwacji: nieprawidłowy podpis."
    assert audit.outcome == AuditOutcome.FAILURE and audit.ip_address == "127.0.0.1"
    # Neither the secret nor the booking's data reach the audit log.
    assert WEBHOOK_SECRET.decode() not in audit.message and document["booking_id"] not in audit.message


def test_a_signature_made_with_another_secret_is_refused(client, clinic):
    body = json.dumps({"latest_cursor": "c1"}).encode()

    response = post(client, NUDGE, body, **signed_headers(body, secret=b"someone-elses-secret"))

    assert response.status_code == 401
    assert security_audit().message == "Odrzucono powiadomienie z OSOZ o nowych rezerwacjach: nieprawidłowy podpis."


def test_a_stale_signature_is_refused_as_a_possible_replay(client, clinic):
    document = booking_document(clinic, starts_at=next_weekday(2, 9))
    body = json.dumps(document).encode()
    stale = int(timezone.now().timestamp()) - 301

    response = post(client, APPROVAL, body, **signed_headers(body, timestamp=stale))

    assert response.status_code == 401 and not Appointment.objects.exists()
    assert "przeterminowany" in security_audit().message


def test_a_repeated_approval_delivery_gets_the_same_decision_and_books_once(client, clinic):
    document = booking_document(clinic, starts_at=next_weekday(2, 10))
    body = json.dumps(document).encode()
    headers = signed_headers(body)

    first = post(client, APPROVAL, body, **headers)
    repeated = post(client, APPROVAL, body, **headers)

    assert first.status_code == repeated.status_code == 200 and repeated.json() == first.json()
    assert first.json()["decision"] == "accepted" and Appointment.objects.count() == 1
    assert not AuditEvent.objects.filter(category=AuditCategory.SECURITY).exists()


def test_during_a_secret_rotation_one_valid_signature_of_two_is_enough(client, clinic):
    document = booking_document(clinic, starts_at=next_weekday(2, 11))
    body = json.dumps(document).encode()
    headers = signed_headers(body)
    old = signed_headers(body, secret=b"the-previous-secret", timestamp=int(headers["HTTP_X_OSOZ_TIMESTAMP"]))
    headers["HTTP_X_OSOZ_SIGNATURE"] = f"{old['HTTP_X_OSOZ_SIGNATURE']},{headers['HTTP_X_OSOZ_SIGNATURE']}"

    assert post(client, APPROVAL, body, **headers).status_code == 200


def test_without_a_webhook_secret_nothing_is_accepted(client, clinic):
    Connection.objects.update(webhook_secret_encrypted="")

    response = signed_post(client, APPROVAL, booking_document(clinic, starts_at=next_weekday(0, 10)))

    assert response.status_code == 401 and not OsozBooking.objects.exists()
    assert "nie ma sekretu podpisu" in security_audit().message


def test_a_validly_signed_malformed_booking_is_answered_400(client, clinic):
    document = {**booking_document(clinic, starts_at=next_weekday(0, 11)), "personal_data": "plain text"}

    response = signed_post(client, APPROVAL, document)

    assert response.status_code == 400 and not OsozBooking.objects.exists() and not InboundEvent.objects.exists()
    audit = AuditEvent.objects.get(action="osoz_webhook_malformed")
    assert "personal_data" in audit.message and audit.outcome == AuditOutcome.FAILURE


@pytest.mark.parametrize("switched_off", [{"enabled": False}, {"client_id": ""}], ids=["off", "never-connected"])
def test_an_approval_while_the_integration_is_off_is_refused_and_books_nothing(client, switched_off):
    connected()
    Connection.objects.update(**switched_off)
    clinic = keyed_clinic()

    response = signed_post(client, APPROVAL, booking_document(clinic, starts_at=next_weekday(0, 9)))

    assert response.status_code == 401
    assert not Appointment.objects.exists() and not Patient.objects.exists()
    assert not OsozBooking.objects.exists() and not InboundEvent.objects.exists()
    assert security_audit().message == (
        "Odrzucono zapytanie OSOZ o zatwierdzenie rezerwacji: integracja z OSOZ jest wyłączona (Ustawienia > OSOZ/LBK)."
    )


def test_a_flood_of_unsigned_deliveries_is_held_back_and_audited_once_per_window(client, clinic, clock, settings):
    body = json.dumps({"latest_cursor": "c1"}).encode()
    limit = settings.OSOZ_WEBHOOK_REFUSAL_LIMIT

    statuses = [post(client, NUDGE, body).status_code for _ in range(100)]

    assert statuses == [401] * limit + [429] * (100 - limit)
    held_back = post(client, APPROVAL, body)
    assert held_back.status_code == 429 and 0 < int(held_back["Retry-After"]) <= 600
    refused = AuditEvent.objects.filter(action="osoz_webhook_rejected").order_by("pk")
    assert list(refused.values_list("message", flat=True)) == [
        "Odrzucono powiadomienie z OSOZ o nowych rezerwacjach: brak znacznika czasu podpisu.",
        "Odrzucono powiadomienie z OSOZ o nowych rezerwacjach: zbyt wiele odrzuconych zgłoszeń z tego adresu, kolejne "
        "są chwilowo wstrzymywane.",
        "Odrzucono zapytanie OSOZ o zatwierdzenie rezerwacji: zbyt wiele odrzuconych zgłoszeń z tego adresu, kolejne "
        "są chwilowo wstrzymywane.",
    ]
    # Another address is not held back; OSOZ's own signed deliveries from it are taken.
    assert post(client, NUDGE, body, REMOTE_ADDR="192.0.2.10").status_code == 401
    assert signed_post(client, NUDGE, {"latest_cursor": "c1"}, REMOTE_ADDR="192.0.2.11").status_code == 204

    # The next window: refused (not held back) again, and the row tells how many the last one left unrecorded.
    clock.shift(timedelta(minutes=10))
    assert post(client, NUDGE, body).status_code == 401
    assert refused.filter(ip_address="127.0.0.1").last().message == (
        "Odrzucono powiadomienie z OSOZ o nowych rezerwacjach: brak znacznika czasu podpisu. Powtórzenia w ciągu "
        "10 min po poprzednim takim wpisie (policzone, niezapisane osobno): 19."
    )


def test_the_receivers_take_only_post(client, clinic):
    assert client.get(APPROVAL).status_code == 405 and client.get(NUDGE).status_code == 405


def test_a_nudge_asks_a_worker_to_pull_after_the_commit(
    client, clinic, monkeypatch, django_capture_on_commit_callbacks
):
    requested = []
    monkeypatch.setattr(feed.tasks.booking_events_pull, "apply_async", lambda **kwargs: requested.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, NUDGE, {"latest_cursor": "c7"})

    assert response.status_code == 204 and requested == [{"retry": False}]
    assert InboundEvent.objects.get().source == "webhook"


def test_a_nudge_for_events_already_pulled_pulls_nothing(
    client, clinic, monkeypatch, django_capture_on_commit_callbacks
):
    Connection.objects.update(booking_cursor="c7")
    requested = []
    monkeypatch.setattr(feed.tasks.booking_events_pull, "apply_async", lambda **kwargs: requested.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, NUDGE, {"latest_cursor": "c7"})

    assert response.status_code == 204 and requested == []


def test_a_nudge_with_the_broker_down_still_succeeds(client, clinic, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(feed.tasks.booking_events_pull, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, NUDGE, {"latest_cursor": "c9"})

    assert response.status_code == 204


def test_a_repeated_nudge_is_acknowledged_and_pulls_once(
    client, clinic, monkeypatch, django_capture_on_commit_callbacks
):
    requested = []
    monkeypatch.setattr(feed.tasks.booking_events_pull, "apply_async", lambda **kwargs: requested.append(kwargs))
    body = json.dumps({"latest_cursor": "c3"}).encode()
    headers = signed_headers(body, event_id=uuid.uuid4())

    with django_capture_on_commit_callbacks(execute=True):
        responses = [post(client, NUDGE, body, **headers).status_code for _ in range(2)]

    assert responses == [204, 204] and len(requested) == 1


class FakeIntegration:
    """OSOZ's PUT /api/v1/integration, recording the endpoints it was told."""

    def __init__(self):
        self.told: list[dict] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/oauth/token":
            token = {"access_token": "t", "token_type": "Bearer", "expires_in": 3600, "scope": "osoz.provider"}
            return httpx.Response(200, json=token)
        assert (request.method, request.url.path) == ("PUT", "/api/v1/integration")
        body = json.loads(request.content)
        self.told.append(body)
        return httpx.Response(200, json={"applied": True, "version": body["version"]})


def test_switching_the_integration_tells_osoz_where_to_call(monkeypatch, settings, alice, sent):
    settings.OSOZ_CALLBACK_BASE_URL = "https://poradnia.example.pl"
    connected(enabled=False)
    fake = FakeIntegration()
    osoz_stand_in(monkeypatch, services, fake.handle)

    services.connection_switch(enabled=True, actor=alice)
    services.connection_switch(enabled=False, actor=alice)

    assert [(told["webhook_url"], told["booking_approval_url"]) for told in fake.told] == [
        ("https://poradnia.example.pl/osoz/v1/booking-events", "https://poradnia.example.pl/osoz/v1/booking-approval"),
        (None, None),
    ]
    assert fake.told[0]["version"] < fake.told[1]["version"]
    messages = list(
        AuditEvent.objects.filter(action="osoz_endpoints_set").order_by("pk").values_list("message", flat=True)
    )
    assert messages == [
        "Przekazano OSOZ adresy Poradni: zatwierdzanie rezerwacji "
        "https://poradnia.example.pl/osoz/v1/booking-approval, powiadomienia o nowych rezerwacjach https://poradnia.example.pl/osoz/v1/booking-events.",
        "Poinformowano OSOZ, że Poradnia nie przyjmuje już powiadomień o rezerwacjach.",
    ]


def test_osoz_unreachable_when_told_the_addresses_is_audited_and_the_switch_stays_on(monkeypatch, alice):
    connected(enabled=False)

    def down(request):
        raise httpx.ConnectError("refused")

    osoz_stand_in(monkeypatch, services, down, max_attempts=1)

    services.connection_switch(enabled=True, actor=alice)

    assert Connection.objects.get().enabled
    audit = AuditEvent.objects.get(action="osoz_endpoints_failed")
    assert audit.outcome == AuditOutcome.FAILURE and "pobierane co kilka sekund" in audit.message


def test_connecting_with_the_switch_on_tells_the_live_sandbox_the_receivers(
    client_for, alice, osoz_sandbox_server, sent, settings
):
    settings.OSOZ_CALLBACK_BASE_URL = "http://127.0.0.1:8000"
    client = client_for(alice)
    connect(client, osoz_sandbox_server)

    told = [json.loads(request.content) for request in sent if request.url.path == "/api/v1/integration"]
    # Switched on after connecting: OSOZ learns both receivers (each request also checked against the contract).
    assert told and told[-1]["webhook_url"] == "http://127.0.0.1:8000/osoz/v1/booking-events"
    assert told[-1]["booking_approval_url"] == "http://127.0.0.1:8000/osoz/v1/booking-approval"
    assert AuditEvent.objects.filter(action="osoz_endpoints_set", outcome=AuditOutcome.SUCCESS).exists()
