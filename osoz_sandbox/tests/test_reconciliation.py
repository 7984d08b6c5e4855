"""Contract 1.2.0: what the entity holds summarised as fingerprints (GET /api/v1/publication) and its bookings' states
(GET /api/v1/bookings), so the clinic can reconcile without downloading everything."""

import datetime
import hashlib
import json

from osoz_sandbox import bookings
from osoz_sandbox.contract import validate
from osoz_sandbox.tests.conftest import doctor_payload, location_payload, schedule_payload, slot, slots_payload
from osoz_sandbox.tests.test_bookings_api import request_for


def _summary(api, day: datetime.date) -> dict:
    response = api.get("/api/v1/publication", date_from=day.isoformat(), date_to=day.isoformat())
    assert response.status_code == 200, response.content
    validate("PublicationSummary", response.json())
    return response.json()


def _canonical(document: dict) -> str:
    """The fingerprint of a PUT document as the contract defines it, computed here from the document sent."""
    without_version = {name: value for name, value in document.items() if name != "version"}
    text = json.dumps(without_version, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_summary_fingerprints_each_resource_as_it_was_sent(api, published, public_key_pem):
    summary = _summary(api, published)
    location = location_payload(public_key_pem)
    location["address"] = {**location["address"], "commune": ""}
    location["cells"] = sorted(location["cells"], key=lambda cell: cell["cell_id"])
    assert summary["locations"] == [{"id": "1", "version": 1, "visible": True, "fingerprint": _canonical(location)}]
    assert summary["doctors"] == [
        {"id": "d1", "version": 1, "visible": True, "fingerprint": _canonical(doctor_payload())}
    ]
    assert summary["schedules"] == [
        {"id": "s1", "version": 1, "visible": True, "fingerprint": _canonical(schedule_payload())}
    ]
    sent = [slot("s1", published, 9), slot("s1", published, 9, 20), slot("s1", published, 9, 40)]
    lines = sorted(
        " ".join(
            [
                item["schedule_id"],
                *(
                    datetime.datetime.fromisoformat(item[name]).astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    for name in ("starts_at", "ends_at")
                ),
            ]
        )
        + "\n"
        for item in sent
    )
    fingerprint = hashlib.sha256("".join(lines).encode()).hexdigest()
    assert summary["slots"] == [{"doctor_id": "d1", "count": 3, "fingerprint": fingerprint}]


def test_a_change_changes_only_that_fingerprint_and_deleted_resources_are_left_out(api, published):
    before = _summary(api, published)
    api.put("/api/v1/doctors/d1", doctor_payload(version=2, description="Inny opis."))
    api.put("/api/v1/doctors/d1/slots", slots_payload(published, [slot("s1", published, 9)], version=2))
    api.delete("/api/v1/schedules/s1", version=2)
    after = _summary(api, published)
    assert after["locations"] == before["locations"]
    assert after["doctors"][0]["fingerprint"] != before["doctors"][0]["fingerprint"]
    assert after["doctors"][0]["version"] == 2
    assert after["schedules"] == []
    assert after["slots"][0]["count"] == 1
    later = published + datetime.timedelta(days=1)
    assert _summary(api, later)["slots"] == []


def test_the_summary_refuses_a_bad_range(api, published):
    response = api.get("/api/v1/publication", date_from=published.isoformat())
    assert response.status_code == 400
    backwards = published - datetime.timedelta(days=1)
    response = api.get("/api/v1/publication", date_from=published.isoformat(), date_to=backwards.isoformat())
    assert response.status_code == 400


def test_bookings_are_listed_with_their_state_without_personal_data(api, entity, published):
    booking, _token = bookings.booking_create(request_for(entity))
    response = api.get("/api/v1/bookings", starts_from=published.isoformat())
    assert response.status_code == 200
    listed = response.json()
    validate("BookingSummaryList", listed)
    assert [(item["booking_id"], item["status"]) for item in listed["bookings"]] == [
        (str(booking.booking_id), "pending")
    ]
    assert "Kowalski" not in response.content.decode()
    later = (published + datetime.timedelta(days=1)).isoformat()
    assert api.get("/api/v1/bookings", starts_from=later).json()["bookings"] == []
    assert api.get("/api/v1/bookings").status_code == 400
