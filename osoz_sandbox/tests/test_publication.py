"""Publishing locations, doctors and schedules: versioned idempotent upserts, validation, withdrawal, removal."""

from osoz_sandbox.models import Doctor
from osoz_sandbox.tests.conftest import doctor_payload, location_payload, schedule_payload


def test_location_upsert_and_state(api, public_key_pem):
    response = api.put("/api/v1/locations/1", location_payload(public_key_pem))
    assert response.status_code == 200
    assert response.json() == {"applied": True, "version": 1}
    assert response["X-RateLimit-Limit"] == "1200"
    state = api.get("/api/v1/locations/1").json()
    assert state["unit_name"] == "Przychodnia Centrum"
    assert [cell["name"] for cell in state["cells"]] == ["Poradnia dermatologiczna", "Poradnia kardiologiczna"]
    assert len(state["public_key_fingerprint"]) == 64
    assert state["updated_at"].endswith(("+01:00", "+02:00"))


def test_stale_or_repeated_version_is_ignored(api, public_key_pem):
    api.put("/api/v1/locations/1", location_payload(public_key_pem, version=5, unit_name="Nowa nazwa"))
    repeated = api.put("/api/v1/locations/1", location_payload(public_key_pem, version=5, unit_name="Powtórka"))
    stale = api.put("/api/v1/locations/1", location_payload(public_key_pem, version=4, unit_name="Stara nazwa"))
    assert repeated.json() == {"applied": False, "version": 5}
    assert stale.status_code == 200
    assert stale.json() == {"applied": False, "version": 5}
    assert api.get("/api/v1/locations/1").json()["unit_name"] == "Nowa nazwa"


def test_newer_version_replaces_the_whole_resource(api):
    api.put("/api/v1/doctors/d1", doctor_payload())
    newer = doctor_payload(
        version=2, specialisations=[{"code": "0717", "name": "Dermatologia i wenerologia"}], cell_ids=["c2"]
    )
    assert api.put("/api/v1/doctors/d1", newer).json() == {"applied": True, "version": 2}
    state = api.get("/api/v1/doctors/d1").json()
    assert state["specialisations"] == [{"code": "0717", "name": "Dermatologia i wenerologia"}]
    assert state["cell_ids"] == ["c2"]


def test_invalid_body_is_a_polish_problem_and_changes_nothing(api):
    body = doctor_payload(access="everyone", first_name="")
    del body["last_name"]
    response = api.put("/api/v1/doctors/d1", body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:osoz:problem:validation-error"
    assert problem["detail"] == "Dane są nieprawidłowe; niczego nie zmieniono."
    fields = {error["field"]: error["detail"] for error in problem["errors"]}
    assert fields["last_name"] == "To pole jest wymagane."
    assert fields["first_name"] == "To pole nie może być puste."
    assert fields["access"].startswith("Niedozwolona wartość")
    assert not Doctor.objects.exists()


def test_bad_public_key_is_refused(api, public_key_pem):
    response = api.put("/api/v1/locations/1", location_payload("not a key"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "public_key_pem", "detail": "To nie jest klucz publiczny w formacie PEM."}
    ]


def test_timestamps_need_an_offset_and_json_a_json_body(api):
    naive = api.put(
        "/api/v1/doctors/d1/slots",
        {
            "date_from": "2030-01-07",
            "date_to": "2030-01-07",
            "version": 1,
            "slots": [{"schedule_id": "s1", "starts_at": "2030-01-07T09:00:00", "ends_at": "2030-01-07T09:20:00"}],
        },
    )
    assert naive.status_code == 422
    assert {error["field"] for error in naive.json()["errors"]} == {"slots.0.starts_at", "slots.0.ends_at"}
    not_json = api.client.put("/api/v1/doctors/d1", "{", content_type="application/json")
    assert not_json.status_code == 400
    assert not_json.json()["code"] == "bad-request"
    form = api.client.put("/api/v1/doctors/d1", "a=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415


def test_schedule_rules_of_sch2_and_osz11(api):
    both = schedule_payload(attributes={"televisit_possible": True, "televisit_only": True})
    assert api.put("/api/v1/schedules/s1", both).status_code == 422
    only_on_znanylekarz = schedule_payload(attributes={"televisit_only": True}, znanylekarz_offer=True)
    response = api.put("/api/v1/schedules/s1", only_on_znanylekarz)
    assert response.status_code == 422
    assert "ZnanyLekarz" in response.json()["errors"][0]["detail"]
    possible = schedule_payload(attributes={"televisit_possible": True}, znanylekarz_offer=True)
    assert api.put("/api/v1/schedules/s1", possible).json()["applied"] is True
    state = api.get("/api/v1/schedules/s1").json()
    assert state["znanylekarz_offer"] is True
    assert state["attributes"]["televisit_possible"] is True


def test_delete_leaves_a_tombstone_that_only_a_newer_put_lifts(api):
    api.put("/api/v1/doctors/d1", doctor_payload(version=3))
    assert api.delete("/api/v1/doctors/d1", version=4).json() == {"applied": True, "version": 4}
    assert api.get("/api/v1/doctors/d1").status_code == 404
    late = api.put("/api/v1/doctors/d1", doctor_payload(version=3))
    assert late.json() == {"applied": False, "version": 4}
    assert api.get("/api/v1/doctors/d1").status_code == 404
    assert api.put("/api/v1/doctors/d1", doctor_payload(version=5)).json()["applied"] is True
    assert api.get("/api/v1/doctors/d1").status_code == 200


def test_delete_needs_a_version(api):
    response = api.delete("/api/v1/schedules/s1")
    assert response.status_code == 400
    assert "version" in response.json()["detail"]


def test_unknown_resource_is_a_problem(api):
    assert api.get("/api/v1/schedules/unknown").json()["code"] == "not-found"
    nowhere = api.get("/api/v1/nowhere")
    assert nowhere.status_code == 404
    assert nowhere["Content-Type"] == "application/problem+json"
    assert api.get("/api/v1/locations/0").status_code == 400


def test_unsupported_method_is_405_with_allow(api):
    response = api.client.post("/api/v1/doctors/d1", {}, content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, PUT, DELETE"


def test_integration_endpoints_are_versioned(api, entity):
    body = {"version": 2, "webhook_url": "http://127.0.0.1:8000/osoz/v1/webhook", "booking_approval_url": None}
    assert api.put("/api/v1/integration", body).json() == {"applied": True, "version": 2}
    assert api.put("/api/v1/integration", {**body, "version": 1}).json() == {"applied": False, "version": 2}
    entity.refresh_from_db()
    assert entity.webhook_url == "http://127.0.0.1:8000/osoz/v1/webhook"


def test_rate_limit_answers_429_with_retry_after(api, settings):
    settings.OSOZ_SANDBOX_RATE_LIMIT = 2
    assert api.get("/api/v1/entity")["X-RateLimit-Remaining"] == "1"
    assert api.get("/api/v1/entity")["X-RateLimit-Remaining"] == "0"
    limited = api.get("/api/v1/entity")
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate-limited"
    assert int(limited["Retry-After"]) >= 1
    assert limited["X-RateLimit-Limit"] == "2"
