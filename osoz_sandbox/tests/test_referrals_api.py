"""Referrals of insurer bookings over the API (contract 1.4.0, manual §12.2): GET /api/v1/bookings/{id}/referrals
brings the clinic the referrals the insurer issued with its booking, and PUT /api/v1/referrals/{id} takes the one
referral the clinic sends for the visit, idempotently, which the insurer then sees on its side."""

import uuid

import pytest
from django.test import Client

from osoz_sandbox import bookings, services
from osoz_sandbox.bookings import ReferralRequest
from osoz_sandbox.contract import contract_document, validate
from osoz_sandbox.models import Entity, FaultSettings, Referral
from osoz_sandbox.tests.conftest import RETURN_URL, TESTS_NOW, ApiClient, tomorrow
from osoz_sandbox.tests.test_bookings_api import request_for
from osoz_sandbox.tests.test_insurer_callcentre import (  # noqa: F401 (clinic is a fixture)
    DERMATOLOGY,
    ECG,
    MEDIKOR,
    WISLA_SERVICE,
    at_tomorrow,
    clinic,
    order_request,
    price_lists_keep,
)

OTHER_PESEL = "02070803628"


def referrals_url(booking) -> str:
    return f"/api/v1/bookings/{booking.booking_id}/referrals"


def referral_url(referral_id) -> str:
    return f"/api/v1/referrals/{referral_id}"


def sent_body(booking, **changes) -> dict:
    body = {
        "booking_id": str(booking.booking_id),
        "issued_on": "2026-12-02",
        "valid_until": "2027-01-31",
        "service_id": ECG,
    }
    return {**body, **changes}


def conforms(response, schema: str) -> dict:
    """The response as the contract promises it: the schema, problem+json for errors, the rate-limit headers."""
    document = response.json()
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        problem = contract_document()["components"]["schemas"]["Problem"]["properties"]
        assert document["code"] in problem["code"]["enum"]
    else:
        validate(schema, document)
    assert response["X-RateLimit-Limit"] and response["X-RateLimit-Remaining"]
    return document


@pytest.fixture
def insurer_booking(clinic):  # noqa: F811
    """Medikor's booking of 09:00 tomorrow with the ECG referral it issued."""
    today = TESTS_NOW.date()
    referral = ReferralRequest(issued_on=today, valid_until=tomorrow(), service_id=ECG, note="Pilne")
    booking, _ = bookings.booking_create(order_request(clinic, order={"referral": referral}))
    return booking


@pytest.fixture
def patient_booking(clinic):  # noqa: F811
    booking, _ = bookings.booking_create(
        request_for(clinic, schedule_id="s3", starts_at=at_tomorrow(11), pesel=OTHER_PESEL)
    )
    return booking


# --- GET /api/v1/bookings/{booking_id}/referrals -----------------------------------------------------------------


def test_the_clinic_reads_the_referrals_the_insurer_issued(api, insurer_booking):
    response = api.get(referrals_url(insurer_booking))
    assert response.status_code == 200
    [received] = conforms(response, "ReferralList")["referrals"]
    assert received == {
        "referral_id": str(Referral.objects.get().referral_id),
        "booking_id": str(insurer_booking.booking_id),
        "direction": "received",
        "issued_on": "2026-12-01",
        "valid_until": "2026-12-02",
        "service_id": ECG,
        "service_name": "EKG spoczynkowe",
        "note": "Pilne",
        "issued_by": "Medikor Towarzystwo Ubezpieczeń S.A.",
    }


def test_a_patients_booking_has_no_referrals(api, patient_booking):
    response = api.get(referrals_url(patient_booking))
    assert conforms(response, "ReferralList") == {"referrals": []}


def test_only_the_entitys_own_bookings_are_read(api, client, insurer_booking):
    other = Entity.objects.create(entity_id="7350099999", name="Inna Przychodnia")
    code = services.connect_code_issue(entity=other, return_url=RETURN_URL)
    credentials = services.connect_token_exchange(code=code, return_url=RETURN_URL, api_base_url="http://testserver")
    token = services.access_token_issue(client_id=credentials["client_id"], client_secret=credentials["client_secret"])[
        "access_token"
    ]
    response = ApiClient(token).get(referrals_url(insurer_booking))
    assert response.status_code == 404 and conforms(response, "Problem")["code"] == "not-found"
    assert api.get(f"/api/v1/bookings/{uuid.uuid4()}/referrals").status_code == 404
    assert api.get("/api/v1/bookings/nie-uuid/referrals").status_code == 404
    unauthenticated = client.get(referrals_url(insurer_booking))
    assert unauthenticated.status_code == 401 and unauthenticated["WWW-Authenticate"].startswith("Bearer")


# --- PUT /api/v1/referrals/{referral_id} -------------------------------------------------------------------------


def test_the_clinic_sends_its_referral_and_the_insurer_sees_it(api, client, insurer_booking):
    referral_id = uuid.uuid4()
    response = api.put(referral_url(referral_id), sent_body(insurer_booking))
    assert response.status_code == 200, response.content
    sent = conforms(response, "Referral")
    assert sent == {
        "referral_id": str(referral_id),
        "booking_id": str(insurer_booking.booking_id),
        "direction": "sent",
        "issued_on": "2026-12-02",
        "valid_until": "2027-01-31",
        "service_id": ECG,
        "service_name": "EKG spoczynkowe",
        "note": "",
        "issued_by": "Przychodnia Testowa",
    }
    listed = conforms(api.get(referrals_url(insurer_booking)), "ReferralList")["referrals"]
    assert [referral["direction"] for referral in listed] == ["received", "sent"]
    page = client.get(f"/ubezpieczyciel/{MEDIKOR}/rezerwacje/").content.decode()
    assert "otrzymane od placówki" in page and "Przychodnia Testowa" in page and "31.01.2027" in page


def test_the_same_referral_again_changes_nothing_and_a_changed_one_replaces_it(api, insurer_booking):
    referral_id = uuid.uuid4()
    first = api.put(referral_url(referral_id), sent_body(insurer_booking))
    stored = Referral.objects.get(referral_id=referral_id)
    again = api.put(referral_url(referral_id), sent_body(insurer_booking))
    assert again.status_code == 200 and again.json() == first.json()
    assert Referral.objects.get(referral_id=referral_id).updated_at == stored.updated_at
    changed = api.put(referral_url(referral_id), sent_body(insurer_booking, service_id=DERMATOLOGY))
    assert changed.status_code == 200 and changed.json()["service_name"] == "Konsultacja lekarza dermatologa"
    assert Referral.objects.filter(direction="sent").count() == 1


def test_one_sent_referral_per_booking(api, insurer_booking):
    assert api.put(referral_url(uuid.uuid4()), sent_body(insurer_booking)).status_code == 200
    response = api.put(referral_url(uuid.uuid4()), sent_body(insurer_booking, service_id=DERMATOLOGY))
    assert response.status_code == 409
    assert conforms(response, "Problem")["code"] == "referral-exists"
    assert Referral.objects.filter(direction="sent").get().service_id == ECG
    # The insurer's referral cannot be overwritten through its id either.
    received = Referral.objects.get(direction="received")
    response = api.put(referral_url(received.referral_id), sent_body(insurer_booking))
    assert response.status_code == 409 and conforms(response, "Problem")["code"] == "referral-exists"
    received.refresh_from_db()
    assert received.direction == "received" and received.note == "Pilne"


@pytest.mark.parametrize(
    ("changes", "field", "detail"),
    [
        ({"service_id": WISLA_SERVICE}, "service_id", "Usługi nie ma w obowiązującym cenniku ubezpieczyciela"),
        ({"service_id": "999"}, "service_id", "Usługi nie ma w obowiązującym cenniku ubezpieczyciela"),
        ({"valid_until": "2026-12-01"}, "valid_until", "Data ważności nie może być wcześniejsza niż data wystawienia."),
        ({"issued_on": "2026-02-30"}, "issued_on", "Nieprawidłowy format (oczekiwano: data RRRR-MM-DD)."),
        ({"service_id": None}, "service_id", "Nieprawidłowy typ wartości (oczekiwano: tekst)."),
        ({"booking_id": "nie-uuid"}, "booking_id", "Nieprawidłowy format (oczekiwano: UUID)."),
    ],
)
def test_invalid_referrals_name_the_field_and_change_nothing(api, insurer_booking, changes, field, detail):
    response = api.put(referral_url(uuid.uuid4()), sent_body(insurer_booking, **changes))
    assert response.status_code == 422, response.content
    problem = conforms(response, "Problem")
    assert problem["code"] == "validation-error"
    [error] = [error for error in problem["errors"] if error["field"] == field]
    assert error["detail"].startswith(detail)
    assert not Referral.objects.filter(direction="sent").exists()


def test_a_missing_field_is_named(api, insurer_booking):
    body = sent_body(insurer_booking)
    del body["service_id"]
    problem = conforms(api.put(referral_url(uuid.uuid4()), body), "Problem")
    assert problem["errors"] == [{"field": "service_id", "detail": "To pole jest wymagane."}]


def test_only_an_insurer_booking_takes_a_referral(api, patient_booking):
    response = api.put(referral_url(uuid.uuid4()), sent_body(patient_booking))
    assert response.status_code == 422
    assert conforms(response, "Problem")["errors"] == [
        {"field": "booking_id", "detail": "Skierowanie wysyła się tylko do rezerwacji umówionej przez ubezpieczyciela."}
    ]
    assert not Referral.objects.exists()


def test_the_service_must_be_in_the_price_list_in_force(api, clinic, insurer_booking):  # noqa: F811
    price_lists_keep(clinic, [(MEDIKOR, "10", "Konsultacje", DERMATOLOGY, "Konsultacja lekarza dermatologa")], "doc-2")
    response = api.put(referral_url(uuid.uuid4()), sent_body(insurer_booking))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "service_id"
    assert api.put(referral_url(uuid.uuid4()), sent_body(insurer_booking, service_id=DERMATOLOGY)).status_code == 200


def test_unknown_bookings_ids_and_media_types(api, client, insurer_booking):
    response = api.put(referral_url(uuid.uuid4()), sent_body(insurer_booking, booking_id=str(uuid.uuid4())))
    assert response.status_code == 404 and conforms(response, "Problem")["code"] == "not-found"
    response = api.put(referral_url("nie-uuid"), sent_body(insurer_booking))
    assert response.status_code == 400 and conforms(response, "Problem")["code"] == "bad-request"
    response = api.client.put(referral_url(uuid.uuid4()), "<xml/>", content_type="application/xml")
    assert response.status_code == 415
    unauthenticated = Client().put(referral_url(uuid.uuid4()), sent_body(insurer_booking), "application/json")
    assert unauthenticated.status_code == 401
    assert not Referral.objects.filter(direction="sent").exists()


def test_injected_faults_apply_to_referrals(api, insurer_booking):
    FaultSettings.objects.update_or_create(id=FaultSettings.SINGLETON_ID, defaults={"down": True})
    response = api.put(referral_url(uuid.uuid4()), sent_body(insurer_booking))
    assert response.status_code == 503 and response["Retry-After"]
    assert api.get(referrals_url(insurer_booking)).status_code == 503
    FaultSettings.objects.update_or_create(id=FaultSettings.SINGLETON_ID, defaults={"down": False, "error_rate": 100})
    assert api.put(referral_url(uuid.uuid4()), sent_body(insurer_booking)).status_code == 500
    assert not Referral.objects.filter(direction="sent").exists()
