from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command

from clinic.tests.factories import EmployeeFactory
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from scheduling.models import Appointment, AppointmentStatus
from scheduling.tests.factories import ScheduleFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2027, 1, 4)
URL = "/api/v1/appointments/"


def at(hour, minute=0):
    return datetime.combine(MONDAY, time(hour, minute), tzinfo=WARSAW).isoformat()


@pytest.fixture
def schedule():
    return ScheduleFactory()


def test_free_slots(client_for, bob, schedule):
    response = client_for(bob).get("/api/v1/free-slots/", {"date_from": MONDAY, "date_to": MONDAY})
    assert response.status_code == 200
    slots = response.json()
    assert len(slots) == 12 and slots[0]["employee"] == schedule.employee_id
    assert datetime.fromisoformat(slots[0]["starts_at"]) == datetime.fromisoformat(at(8))


def test_free_slots_rejects_bad_windows_with_the_error_shape(client_for, bob):
    response = client_for(bob).get("/api/v1/free-slots/", {"date_from": "2027-01-10", "date_to": "2027-01-01"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert client_for(bob).get("/api/v1/free-slots/", {"date_from": "x", "date_to": "y"}).status_code == 400


def test_booking_then_conflict_is_409(client_for, bob, schedule):
    client = client_for(bob)
    patient = PatientFactory()
    body = {"employee": schedule.employee_id, "patient": patient.pk, "starts_at": at(8)}
    created = client.post(URL, body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["source"] == "api" and created.json()["booked_by_label"] == "Bogdan Rejestrator (bob)"
    conflict = client.post(URL, body, content_type="application/json")
    assert conflict.status_code == 409
    assert conflict.json() == {
        "error": {"code": "slot_taken", "message": "Ten termin jest już zajęty. Wybierz inny wolny termin."}
    }
    assert Appointment.objects.count() == 1


def test_bad_booking_input_changes_nothing(client_for, bob, schedule):
    client = client_for(bob)
    outside = {"employee": schedule.employee_id, "patient": PatientFactory().pk, "starts_at": at(13)}
    response = client.post(URL, outside, content_type="application/json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "outside_schedule"
    response = client.post(
        URL, {"employee": schedule.employee_id, "patient": 0, "starts_at": "jutro"}, content_type="application/json"
    )
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"patient", "starts_at"}
    assert not Appointment.objects.exists()


def test_cancel_move_and_confirm(client_for, bob, schedule):
    client = client_for(bob)
    body = {"employee": schedule.employee_id, "patient": PatientFactory().pk, "starts_at": at(8)}
    pk = client.post(URL, body, content_type="application/json").json()["id"]
    moved = client.post(f"{URL}{pk}/move/", {"starts_at": at(9)}, content_type="application/json")
    assert moved.status_code == 200 and datetime.fromisoformat(moved.json()["starts_at"]) == datetime.fromisoformat(
        at(9)
    )
    cancelled = client.post(f"{URL}{pk}/cancel/", {"reason": "Pacjent zrezygnował"}, content_type="application/json")
    assert cancelled.json()["status"] == AppointmentStatus.CANCELLED
    assert client.post(f"{URL}{pk}/confirm/").status_code == 422


def test_arrival_is_confirmed_only_on_the_day_of_the_visit(client_for, bob, schedule, clock):
    clock.move_to(datetime.fromisoformat(at(7, 50)))
    client = client_for(bob)
    today, tomorrow = (
        client.post(
            URL,
            {"employee": schedule.employee_id, "patient": PatientFactory().pk, "starts_at": starts_at},
            content_type="application/json",
        ).json()["id"]
        for starts_at in (at(8), (datetime.fromisoformat(at(8)) + timedelta(days=1)).isoformat())
    )
    early = client.post(f"{URL}{tomorrow}/confirm/")
    assert early.status_code == 422 and early.json()["error"]["code"] == "not_today"
    assert Appointment.objects.get(pk=tomorrow).status == AppointmentStatus.BOOKED
    assert client.post(f"{URL}{today}/confirm/").json()["status"] == AppointmentStatus.CONFIRMED


def test_doctors_see_only_their_own_calendar_and_cannot_book(client_for, carol, schedule):
    own = ScheduleFactory(employee=EmployeeFactory(user=carol))
    client = client_for(carol)
    slots = client.get("/api/v1/free-slots/", {"date_from": MONDAY, "date_to": MONDAY}).json()
    assert {slot["employee"] for slot in slots} == {own.employee_id}
    body = {"employee": own.employee_id, "patient": PatientFactory().pk, "starts_at": at(8)}
    assert client.post(URL, body, content_type="application/json").status_code == 403
    assert client.get("/api/v1/schedules/").json()["count"] == 1


def test_other_doctors_appointments_are_not_found(client_for, bob, carol, schedule):
    body = {"employee": schedule.employee_id, "patient": PatientFactory().pk, "starts_at": at(8)}
    pk = client_for(bob).post(URL, body, content_type="application/json").json()["id"]
    EmployeeFactory(user=carol)
    assert client_for(carol).get(f"{URL}{pk}/").status_code == 404


def test_no_role_and_anonymous_are_refused(client, client_for, dave):
    for path in (URL, "/api/v1/free-slots/?date_from=2027-01-04&date_to=2027-01-04", "/api/v1/schedules/"):
        assert client.get(path).status_code == 403
        assert client_for(dave).get(path).status_code == 403


def test_schedules_are_written_through_the_same_rules(client_for, alice, bob, schedule):
    body = {
        "employee": schedule.employee_id,
        "cell": schedule.cell_id,
        "valid_from": "2027-02-01",
        "valid_to": None,
        "is_nfz": False,
        "blocks": [{"weekday": 0, "start_time": "10:00", "end_time": "14:00", "visit_minutes": 30}],
    }
    response = client_for(alice).post("/api/v1/schedules/", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "schedules_overlap"
    body["blocks"][0]["weekday"] = 5
    assert client_for(alice).post("/api/v1/schedules/", body, content_type="application/json").status_code == 201
    assert client_for(bob).post("/api/v1/schedules/", body, content_type="application/json").status_code == 403


def test_the_openapi_schema_is_served(client_for, carol):
    response = client_for(carol).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/appointments/{id}/cancel/" in response.json()["paths"]


def test_the_openapi_schema_has_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/appointments/{id}/move/" in (tmp_path / "schema.yaml").read_text()
