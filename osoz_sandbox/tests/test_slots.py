"""Free slots as snapshots per doctor and date range, guarded per day by the version."""

import datetime

from osoz_sandbox.tests.conftest import schedule_payload, slot, slots_payload, tomorrow


def _starts(api, day_from, day_to):
    body = api.get("/api/v1/doctors/d1/slots", date_from=day_from.isoformat(), date_to=day_to.isoformat()).json()
    return [item["starts_at"][11:16] for item in body["slots"]]


def test_snapshot_replaces_all_slots_of_the_range(api):
    day = tomorrow()
    first = api.put("/api/v1/doctors/d1/slots", slots_payload(day, [slot("s1", day, 9), slot("s1", day, 10)]))
    assert first.json() == {"applied": True, "applied_days": 1, "ignored_days": 0}
    api.put("/api/v1/doctors/d1/slots", slots_payload(day, [slot("s1", day, 11)], version=2))
    assert _starts(api, day, day) == ["11:00"]
    api.put("/api/v1/doctors/d1/slots", slots_payload(day, [], version=3))
    assert _starts(api, day, day) == []


def test_repeated_and_stale_snapshots_change_nothing(api):
    day = tomorrow()
    body = slots_payload(day, [slot("s1", day, 9)], version=7)
    api.put("/api/v1/doctors/d1/slots", body)
    assert api.put("/api/v1/doctors/d1/slots", body).json() == {"applied": False, "applied_days": 0, "ignored_days": 1}
    stale = slots_payload(day, [slot("s1", day, 12)], version=6)
    assert api.put("/api/v1/doctors/d1/slots", stale).json()["applied"] is False
    assert _starts(api, day, day) == ["09:00"]


def test_guard_is_per_day_so_overlapping_windows_merge_correctly(api):
    day1 = tomorrow()
    day2 = day1 + datetime.timedelta(days=1)
    newer_day2 = slots_payload(day2, [slot("s1", day2, 8)], version=10)
    older_both = slots_payload(day1, [slot("s1", day1, 9), slot("s1", day2, 9)], version=9, date_to=day2)
    api.put("/api/v1/doctors/d1/slots", newer_day2)
    # The older two-day window arrives late: day 1 is new to the platform, day 2 already has newer data.
    outcome = api.put("/api/v1/doctors/d1/slots", older_both).json()
    assert outcome == {"applied": True, "applied_days": 1, "ignored_days": 1}
    assert _starts(api, day1, day2) == ["09:00", "08:00"]
    state = api.get("/api/v1/doctors/d1/slots", date_from=day1.isoformat(), date_to=day2.isoformat()).json()
    assert state["days"] == [{"date": day1.isoformat(), "version": 9}, {"date": day2.isoformat(), "version": 10}]


def test_slots_must_fit_the_range_and_be_well_formed(api):
    day = tomorrow()
    outside = slots_payload(day, [slot("s1", day + datetime.timedelta(days=1), 9)])
    response = api.put("/api/v1/doctors/d1/slots", outside)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "slots.0.starts_at", "detail": "Termin zaczyna się poza wysłanym zakresem."}
    ]
    twice = slots_payload(day, [slot("s1", day, 9), slot("s1", day, 9)])
    assert api.put("/api/v1/doctors/d1/slots", twice).json()["errors"][0]["field"] == "slots.1"
    backwards = slots_payload(day, [{**slot("s1", day, 9), "ends_at": slot("s1", day, 8)["starts_at"]}])
    assert api.put("/api/v1/doctors/d1/slots", backwards).status_code == 422
    too_long = slots_payload(day, [], date_to=day + datetime.timedelta(days=92))
    assert api.put("/api/v1/doctors/d1/slots", too_long).status_code == 422


def test_a_schedule_of_another_doctor_is_refused(api):
    api.put("/api/v1/schedules/s9", schedule_payload(doctor_id="d2"))
    day = tomorrow()
    response = api.put("/api/v1/doctors/d1/slots", slots_payload(day, [slot("s9", day, 9)]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["detail"] == "Ten harmonogram należy do innego lekarza."


def test_slot_state_needs_a_date_range(api):
    assert api.get("/api/v1/doctors/d1/slots").status_code == 400
