"""SBX-8: faults switched at runtime on the "Symulacja awarii" page or through /awarie.json — the API down (503 with
Retry-After), slow, answering 500 before changing anything, and the booking events feed delivering duplicates and
out of order; webhooks paused while down and doubled with duplicate deliveries."""

import datetime
import time

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from osoz_sandbox import bookings, faults
from osoz_sandbox.contract import validate
from osoz_sandbox.models import Booking, Doctor, FaultSettings
from osoz_sandbox.services import WARSAW
from osoz_sandbox.tests.conftest import doctor_payload, tomorrow

PESELS = ("44051401458", "02070803628", "44051401359")


def faults_json(**changes) -> dict:
    response = Client().post("/awarie.json", changes, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def book(entity, hour_minute: tuple[int, int], pesel: str) -> Booking:
    starts_at = datetime.datetime.combine(tomorrow(), datetime.time(*hour_minute), tzinfo=WARSAW)
    booking, _token = bookings.booking_create(
        bookings.BookingRequest(
            entity=entity,
            doctor_id="d1",
            schedule_id="s1",
            starts_at=starts_at,
            kind="visit",
            first_name="Jan",
            last_name="Kowalski",
            email=f"{pesel}@example.com",
            pesel=pesel,
        )
    )
    return booking


# --- Settings ----------------------------------------------------------------------------------------------------


def test_no_faults_until_switched_on(db):
    assert Client().get("/awarie.json").json() == {
        "down": False,
        "delay_ms": 0,
        "error_rate": 0,
        "duplicate_deliveries": False,
        "reorder_events": False,
    }
    assert not FaultSettings.objects.exists()  # reading does not write
    assert faults.delivery_copies() == 1
    assert not faults.webhooks_paused()
    assert faults.events_for_delivery([1, 2, 3]) == [1, 2, 3]


def test_json_control_changes_any_subset_and_refuses_bad_values_entirely(db):
    assert faults_json(down=True)["down"] is True
    state = faults_json(delay_ms=250, duplicate_deliveries=True)
    assert state == {
        "down": True,
        "delay_ms": 250,
        "error_rate": 0,
        "duplicate_deliveries": True,
        "reorder_events": False,
    }
    refused = Client().post(
        "/awarie.json", {"error_rate": 101, "reorder_events": "yes", "speed": 1}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"error_rate", "reorder_events", "speed"}
    assert Client().post("/awarie.json", {"error_rate": 50, "delay_ms": -1}, content_type="application/json").json()[
        "errors"
    ] == {"delay_ms": "Opóźnienie musi mieścić się w zakresie 0–60000 ms."}
    assert Client().post("/awarie.json", "[1]", content_type="application/json").status_code == 400
    assert Client().get("/awarie.json").json() == state  # nothing of the refused changes was saved


def test_fault_page_edits_the_settings_and_restores_normal_operation(db):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/awarie/")
    assert "Symulacja awarii" in page.text
    assert "Strona nie wymaga logowania – to lokalny symulator" in page.text
    assert "Piaskownica działa normalnie." in page.text
    csrf = client.cookies["osoz_sandbox_csrftoken"].value
    form = {"csrfmiddlewaretoken": csrf, "down": "on", "delay_ms": "100", "error_rate": "5", "reorder_events": "on"}
    saved = client.post("/awarie/", form, follow=True)
    assert "Zapisano ustawienia symulacji awarii; obowiązują od razu." in saved.text
    assert "Symulacja awarii jest włączona." in saved.text
    assert faults.fault_settings_state(faults.fault_settings()) == {
        "down": True,
        "delay_ms": 100,
        "error_rate": 5,
        "duplicate_deliveries": False,
        "reorder_events": True,
    }
    invalid = client.post("/awarie/", {**form, "error_rate": "150"})
    assert "Odsetek błędów musi mieścić się w zakresie 0–100%." in invalid.text
    assert faults.fault_settings().error_rate == 5
    client.post("/awarie/", {"csrfmiddlewaretoken": csrf, "reset": "1"})
    assert faults.fault_settings_state(faults.fault_settings()) == faults.fault_settings_state(FaultSettings())


# --- The API --------------------------------------------------------------------------------------------------------


def test_down_answers_503_with_retry_after_and_changes_nothing(published, api, entity):
    faults_json(down=True)
    response = api.put("/api/v1/doctors/d1", doctor_payload(version=2, last_name="Nowak"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == str(faults.RETRY_AFTER_SECONDS)
    problem = response.json()
    validate("Problem", problem)
    assert problem["code"] == "unavailable"
    assert problem["instance"] == "/api/v1/doctors/d1"
    assert Doctor.objects.get(doctor_id="d1").last_name == "Kowalska"
    assert api.get("/api/v1/booking-events").status_code == 503
    # The contract document and the pages for people keep working.
    assert Client().get("/api/v1/openapi.yaml").status_code == 200
    assert Client().get("/lbk/lekarz/7350012345/d1/").status_code == 200
    assert faults.webhooks_paused()

    faults_json(down=False)
    assert api.put("/api/v1/doctors/d1", doctor_payload(version=2, last_name="Nowak")).status_code == 200
    assert not faults.webhooks_paused()


def test_error_rate_answers_500_before_any_change(published, api):
    faults_json(error_rate=100)
    response = api.put("/api/v1/doctors/d1", doctor_payload(version=2, last_name="Nowak"))
    assert response.status_code == 500
    validate("Problem", response.json())
    assert "niczego nie zmieniono" in response.json()["detail"]
    assert Doctor.objects.get(doctor_id="d1").last_name == "Kowalska"
    # A partial rate fails some requests, not all (100 draws at 50% are all equal with probability 2**-99).
    faults_json(error_rate=50)
    statuses = {api.get("/api/v1/entity").status_code for _ in range(100)}
    assert statuses == {200, 500}


def test_delay_slows_every_api_answer(published, api):
    faults_json(delay_ms=300)
    started = time.monotonic()
    assert api.get("/api/v1/entity").status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert Client().get("/awarie.json").status_code == 200  # outside the API: not delayed
    assert time.monotonic() - started < 0.3


def test_faults_apply_under_asgi_as_the_sandbox_runs(published, token):
    client, headers = AsyncClient(), {"Authorization": f"Bearer {token}"}
    faults_json(down=True)
    response = async_to_sync(client.get)("/api/v1/entity", headers=headers)
    assert response.status_code == 503
    assert response["Retry-After"] == str(faults.RETRY_AFTER_SECONDS)
    faults_json(down=False, delay_ms=200)
    started = time.monotonic()
    assert async_to_sync(client.get)("/api/v1/entity", headers=headers).status_code == 200
    assert time.monotonic() - started >= 0.2


# --- Deliveries ---------------------------------------------------------------------------------------------------


def feed_ids(api) -> list[str]:
    response = api.get("/api/v1/booking-events")
    assert response.status_code == 200
    validate("BookingEventPage", response.json())
    return [event["booking"]["booking_id"] for event in response.json()["events"]]


def test_feed_reorders_and_duplicates_the_pages_events(published, api, entity):
    times = [(9, 0), (9, 20), (9, 40)]
    booked = [str(book(entity, time, pesel).booking_id) for time, pesel in zip(times, PESELS, strict=True)]
    assert feed_ids(api) == booked
    faults_json(reorder_events=True)
    assert feed_ids(api) == booked[::-1]
    faults_json(reorder_events=False, duplicate_deliveries=True)
    assert feed_ids(api) == booked + booked
    assert faults.delivery_copies() == 2
    faults_json(reorder_events=True)
    assert feed_ids(api) == booked[::-1] + booked[::-1]
    # The cursor is not affected: the next page starts after the last recorded event.
    cursor = api.get("/api/v1/booking-events").json()["next_cursor"]
    assert api.get("/api/v1/booking-events", after=cursor).json()["events"] == []


@pytest.mark.parametrize("kwargs", [{"down": "true"}, {"delay_ms": 1.5}, {"error_rate": True}])
def test_service_refuses_values_of_the_wrong_type(db, kwargs):
    with pytest.raises(faults.FaultSettingsInvalid):
        faults.fault_settings_update(**kwargs)
    assert not FaultSettings.objects.exists()
