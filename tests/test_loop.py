"""The whole loop against the live sandbox (OSZ-4…OSZ-8, SET-1, CAL-4, CAL-8, PAT-2, SBX-3, SBX-7): patients book
and cancel on the sandbox's patient site, the sandbox asks the product (served by uvicorn) to approve each booking
and nudges it, the receptionist's changes travel back through the outbox, and both sides are read back."""

import hashlib
import hmac
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.db import OperationalError, connections
from playwright.sync_api import expect

from clinic.services import employee_update, location_update
from conftest import browser_login
from core.crypto import secret_decrypt
from core.models import AuditCategory, AuditEvent, AuditOutcome
from osoz_integration.models import (
    Connection,
    OsozBooking,
    OsozBookingPath,
    OsozBookingState,
)
from osoz_integration.selectors import outbox_pending
from osoz_integration.tests.osoz_bookings import SET1, booking_document, keyed_clinic
from patients.models import OsozCardStatus, Patient
from patients.tests.factories import PatientFactory
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus, WaitingCategory, WaitingListEntry
from scheduling.selectors import booking_settings
from scheduling.services import SlotTakenError, appointment_book, appointment_cancel, appointment_move
from tests.loop import (
    Booked,
    BookingForm,
    Person,
    assert_both_sides_agree,
    at,
    connected_loop,
    drain,
    eventually,
    next_day,
    patient_books,
    patient_cancels,
    person,
    pull_all,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_specialisations")]


SHOTS = Path("/tmp/loop_shots")  # noqa: S108 - where the screenshots are looked at
OSOZ_ICON = "svg.icon[aria-label='Umówienie on-line (OSOZ)']"
SLOT_TAKEN = "Wybrany termin jest już zajęty. Prosimy wybrać inny."


@pytest.fixture
def live_loop(settings, client_for, alice, sandbox_server, asgi_live_server):
    """The clinic connected to a fresh sandbox that calls the product's receivers on the uvicorn server."""
    return connected_loop(settings, client_for, alice, sandbox_server, callback_url=asgi_live_server.url)


@pytest.mark.browser
def test_a_patient_books_in_the_browser_and_the_open_calendar_shows_it_at_once(
    settings, client_for, alice, bob, sandbox_server, asgi_live_server, asgi_page_for
):
    clinic = keyed_clinic(requirement="Prosimy zabrać ze sobą skierowanie i wyniki badań.")
    loop = connected_loop(settings, client_for, alice, sandbox_server, callback_url=asgi_live_server.url, clinic=clinic)
    osoz, monday = loop.osoz, next_day(0)
    starts_at = at(monday, 8, 20)

    calendar = asgi_page_for()
    browser_login(calendar, bob)
    calendar.goto(f"/kalendarz/?date={monday.date().isoformat()}")
    expect(calendar.locator("body[data-calendar-live='on']")).to_be_attached()
    expect(calendar.locator(".block.free", has_text="08:20–08:40")).to_be_visible()

    ewa = person("Ewa", "Zalewska", female=True, card="ABCD 1234 5678 9012 34", note="Proszę o wizytę po 8:30.")
    patient = asgi_page_for()
    patient.goto(loop.osoz.doctor_page(clinic.doctor, monday.date()))
    day = patient.locator(".timetable .day", has_text=monday.strftime("%d.%m.%Y"))
    day.locator("a.slot", has=patient.locator("time", has_text="08:20")).click()
    expect(patient.get_by_role("heading", name="Umów wizytę")).to_be_visible()
    expect(patient.locator(".requirement")).to_have_text("Prosimy zabrać ze sobą skierowanie i wyniki badań.")
    patient.get_by_label("Zgadzam się na powyższe warunki wizyt").check()
    patient.get_by_label("Imię").fill(ewa.first_name)
    patient.get_by_label("Nazwisko").fill(ewa.last_name)
    patient.get_by_label("Adres e-mail").fill(ewa.email)
    patient.get_by_label("Numer telefonu").fill(ewa.phone)
    patient.get_by_label("PESEL").fill(ewa.pesel)
    patient.get_by_label("Numer karty OSOZ").fill(ewa.card)
    expect(patient.get_by_label("Dodatkowa informacja dla lekarza")).to_be_hidden()
    patient.get_by_label("Chcę przesłać lekarzowi dodatkową informację").check()
    patient.get_by_label("Dodatkowa informacja dla lekarza").fill(ewa.note)
    patient.get_by_role("button", name="Umów wizytę").click()
    expect(patient.get_by_role("heading", level=1)).to_have_text("Wizyta została umówiona")

    # CAL-8: the receptionist's open calendar shows the block, with the OSOZ icon, without a reload.
    block = calendar.locator(".block.appointment", has_text=ewa.listed)
    expect(block).to_contain_text("08:20–08:40", timeout=5_000)
    expect(block.locator(OSOZ_ICON)).to_have_count(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    calendar.screenshot(path=str(SHOTS / "calendar.png"), full_page=True)
    patient.screenshot(path=str(SHOTS / "sandbox_confirmation.png"), full_page=True)

    # The product: a new patient from the sealed data, the card Nieaktywna, the note, booked by OSOZ.
    created = Patient.objects.get(pesel=ewa.pesel)
    assert (created.first_name, created.last_name, created.email) == (ewa.first_name, ewa.last_name, ewa.email)
    card = created.osoz_cards.get()
    assert (card.number, card.status, card.source) == ("ABCD12345678901234", OsozCardStatus.INACTIVE, "online")
    appointment = Appointment.objects.get(patient=created)
    assert appointment.starts_at == starts_at and appointment.employee_id == clinic.doctor.pk
    assert appointment.notes == ewa.note
    assert (appointment.source, appointment.booked_by_label) == (AppointmentSource.OSOZ, "OSOZ")
    record = OsozBooking.objects.get(appointment=appointment)
    assert (record.state, record.osoz_state, record.path) == ("accepted", "accepted", OsozBookingPath.APPROVAL)
    # The sandbox: accepted with the product's reference, the patient told.
    remote = loop.osoz.bookings()[record.booking_id]
    assert (remote["status"], remote["appointment_ref"]) == ("accepted", str(appointment.pk))
    assert remote["patient_note"] == ewa.note and remote["requirement_accepted"] == 1
    assert {n["subject"] for n in osoz.notifications(record.booking_id) if n["channel"] == "email"} == {
        "Wizyta umówiona"
    }

    # The same patient books again: the booking lands on the record the clinic has, the card is not added twice.
    again = patient_books(osoz, clinic.private, at(monday, 9, 40), ewa)
    assert again.heading == "Wizyta została umówiona"
    expect(calendar.locator(".block.appointment", has_text=ewa.listed)).to_have_count(2, timeout=5_000)
    assert Patient.objects.filter(pesel=ewa.pesel).count() == 1
    assert list(Appointment.objects.filter(patient=created).values_list("starts_at", flat=True).order_by("starts_at"))[
        1
    ] == at(monday, 9, 40)
    assert created.osoz_cards.count() == 1
    assert_both_sides_agree(osoz)


def _as_worker(*steps) -> None:
    """Pulls and drains as the Celery worker makes them: off this thread, where the browser's event loop runs."""

    def work():
        try:
            for step in steps:
                step()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(work).result()


def _book_waiting_for_locks(**booking):
    """appointment_book from a thread of its own. SQLite's shared in-memory test database reports a concurrent
    writer at once ("database table is locked") where the clinic's file database waits on its busy timeout, so the
    booking is retried as that timeout would; PostgreSQL simply waits."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return appointment_book(**booking)
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _race(loop, starts_at, rival, *, lag: float | None) -> tuple[str, Booked, Person]:
    """The receptionist books `rival` in the calendar while a patient submits the sandbox form for the same slot.
    Both are released at the same instant; with a `lag` the receptionist clicks that many seconds after the sandbox
    has recorded the patient's booking, i.e. while the sandbox is asking the product to approve it (that takes
    some 60–100 ms here), so the rounds sweep the whole window in which the two can collide. Returns the
    calendar's outcome, the patient's page and the patient."""
    form = BookingForm(loop.osoz, loop.clinic.private, starts_at)
    who = person("Marek", f"Wyścigowy{starts_at:%H%M}")
    start = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def calendar():
        start.wait()
        if lag is not None:
            eventually(
                lambda: loop.osoz.rows("SELECT 1 FROM osoz_sandbox_booking WHERE email = ?", who.email),
                what="the sandbox recording the booking",
                poll=0.002,
            )
            time.sleep(lag)  # a deliberate stagger, not a wait for an outcome
        try:
            _book_waiting_for_locks(
                employee_id=loop.clinic.doctor.pk,
                starts_at=starts_at,
                patient=rival,
                source=AppointmentSource.CALENDAR,
                actor=loop.bob,
            )
            outcome["calendar"] = "booked"
        except SlotTakenError:
            outcome["calendar"] = "taken"
        except Exception as error:
            outcome["calendar"] = repr(error)
        finally:
            connections.close_all()

    def sandbox():
        start.wait()
        outcome["sandbox"] = form.submit(who)

    threads = [threading.Thread(target=calendar), threading.Thread(target=sandbox)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcome["calendar"], outcome["sandbox"], who


def test_the_same_slot_booked_at_once_in_the_calendar_and_on_osoz_has_exactly_one_winner(live_loop, bob):
    live_loop.bob = bob
    osoz, clinic = live_loop.osoz, live_loop.clinic
    rival = PatientFactory(first_name="Jan", last_name="Kalendarzowy")
    monday, winners = next_day(0), []
    lags = (None, 0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15)
    for number, lag in enumerate(lags):
        starts_at = at(monday, 8) + timedelta(minutes=20 * number)
        calendar, page, who = _race(live_loop, starts_at, rival, lag=lag)
        assert calendar in ("booked", "taken"), calendar
        # A decision the sandbox could not get synchronously arrives through the feed and the outbox.
        pull_all()
        drain()
        held = Appointment.objects.filter(employee=clinic.doctor, starts_at=starts_at, status=AppointmentStatus.BOOKED)
        assert held.count() == 1, f"{held.count()} appointments at {starts_at}"
        booking_id, remote = osoz.booking_of(page.token) if page.token else (None, None)
        if calendar == "booked":
            winners.append("calendar")
            assert held.get().patient == rival
            if remote is None:
                # The sandbox had already learnt the slot was gone and refused at the form.
                assert page.refusal
                continue
            # The patient's booking was refused with a reason, and the patient was told.
            assert (remote["status"], remote["reason"]) == ("rejected", SLOT_TAKEN)
            told = osoz.notifications(booking_id)
            assert any(n["subject"] == "Rezerwacja wizyty odrzucona" and SLOT_TAKEN in n["body"] for n in told)
            assert page.heading in ("Placówka nie przyjęła rezerwacji", "Rezerwacja przyjęta")
        else:
            winners.append("osoz")
            assert page.heading == "Wizyta została umówiona"
            assert held.get().patient.pesel == who.pesel and held.get().source == AppointmentSource.OSOZ
            assert remote["status"] == "accepted" and remote["appointment_ref"] == str(held.get().pk)
    assert_both_sides_agree(osoz)
    print(f"race winners: {winners}")


def test_the_receptionists_cancel_and_move_reach_the_patient_through_osoz(live_loop, bob):
    osoz, clinic = live_loop.osoz, live_loop.clinic
    tuesday = next_day(1)
    adam, beata = person("Adam", "Odwoływany"), person("Beata", "Przenoszona", female=True)
    first = osoz.booking_of(patient_books(osoz, clinic.private, at(tuesday, 8), adam).token)[0]
    second = osoz.booking_of(patient_books(osoz, clinic.private, at(tuesday, 8, 20), beata).token)[0]
    cancelled = OsozBooking.objects.select_related("appointment").get(booking_id=first)
    moved = OsozBooking.objects.select_related("appointment").get(booking_id=second)

    appointment_cancel(appointment=cancelled.appointment, source="calendar", reason="Lekarz choruje.", actor=bob)
    appointment_move(appointment=moved.appointment, starts_at=at(tuesday, 11, 20), actor=bob)
    drain()

    there = osoz.bookings()
    assert (there[first]["status"], there[first]["reason"]) == ("cancelled_by_clinic", "Lekarz choruje.")
    assert (there[second]["status"], there[second]["starts_at"]) == ("accepted", at(tuesday, 11, 20))
    told = osoz.notifications(first)
    odwolanie = [n for n in told if n["channel"] == "email" and n["subject"] == "Wizyta odwołana"]
    assert len(odwolanie) == 1 and odwolanie[0]["recipient"] == adam.email and "Lekarz choruje." in odwolanie[0]["body"]
    assert any(n["channel"] == "sms" and "Wizyta odwołana przez placówkę" in n["body"] for n in told)
    zmiana = [n for n in osoz.notifications(second) if n["subject"] == "Zmiana terminu wizyty"]
    assert len(zmiana) == 1 and zmiana[0]["recipient"] == beata.email and "11:20" in zmiana[0]["body"]
    assert not outbox_pending().exists()
    assert_both_sides_agree(osoz)


def test_set1_refuses_a_first_time_nfz_patient_with_its_exact_words_and_queues_him_when_allowed(live_loop):
    osoz, clinic = live_loop.osoz, live_loop.clinic
    thursday = next_day(3)
    rules = booking_settings()
    rules.nfz_first_time_online = False
    rules.save()
    first = person("Cezary", "Pierwszorazowy")
    refused = patient_books(osoz, clinic.nfz, at(thursday, 8), first)
    assert refused.heading == "Placówka nie przyjęła rezerwacji"
    assert refused.refusal == SET1
    booking_id, remote = osoz.booking_of(refused.token)
    assert (remote["status"], remote["reason"]) == ("rejected", SET1)
    assert not Patient.objects.filter(pesel=first.pesel).exists()
    assert not Appointment.objects.exists() and not WaitingListEntry.objects.exists()
    assert OsozBooking.objects.get(booking_id=booking_id).state == OsozBookingState.REJECTED

    rules.nfz_first_time_online = True
    rules.save()
    second = person("Daria", "Kolejkowa", female=True)
    accepted = patient_books(osoz, clinic.nfz, at(thursday, 8, 20), second)
    assert accepted.heading == "Wizyta została umówiona"
    appointment = Appointment.objects.get(patient__pesel=second.pesel)
    assert appointment.is_nfz and appointment.starts_at == at(thursday, 8, 20)
    entry = WaitingListEntry.objects.get(patient=appointment.patient)
    assert (entry.cell, entry.category, entry.added_by_label) == (clinic.cell, WaitingCategory.STABLE, "OSOZ")
    assert entry.appointment == appointment
    assert_both_sides_agree(osoz)


def test_a_patients_cancellation_on_osoz_cancels_the_appointment_as_osoz(live_loop):
    osoz, clinic = live_loop.osoz, live_loop.clinic
    wednesday = next_day(2)
    filip = person("Filip", "Rezygnujący")
    booked = patient_books(osoz, clinic.private, at(wednesday, 10), filip)
    booking_id, _remote = osoz.booking_of(booked.token)
    appointment = Appointment.objects.get(osoz_booking__booking_id=booking_id)
    assert appointment.status == AppointmentStatus.BOOKED

    patient_cancels(osoz, booked.token, "Wyjeżdżam służbowo.")
    pull_all()

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert (appointment.cancelled_by_label, appointment.cancel_source) == ("OSOZ", AppointmentSource.OSOZ)
    assert appointment.cancel_reason == "Wyjeżdżam służbowo." and appointment.cancelled_by is None
    record = OsozBooking.objects.get(booking_id=booking_id)
    assert record.state == record.osoz_state == OsozBookingState.CANCELLED_BY_PATIENT
    # Nothing is echoed back to OSOZ: whatever the booking's outbox row holds, the drain finds nothing to send.
    drain()
    assert not outbox_pending().exists()
    assert not AuditEvent.objects.filter(action__in=["osoz_booking_sent", "osoz_booking_failed"]).exists()
    assert osoz.bookings()[booking_id]["status"] == "cancelled_by_patient"
    assert any(n["subject"] == "Wizyta odwołana" for n in osoz.notifications(booking_id))
    assert_both_sides_agree(osoz)


@pytest.mark.browser
def test_patients_cancelling_right_after_booking_leave_nothing_waiting_and_the_integration_can_be_switched_off(
    live_loop, alice, asgi_page_for
):
    """Patients book in the browser and cancel at once, while the worker is somewhere between its steps. The pull
    that follows the nudge queues the product's own acceptance of the approved booking; a cancellation that lands
    before that acceptance is sent makes OSOZ answer 409, and the row must settle then — not wait for a change of the
    visit that never comes, which kept the switch-off of STR-5 refused for good."""
    osoz, clinic = live_loop.osoz, live_loop.clinic
    tuesday = next_day(1)
    patient = asgi_page_for()
    heading = patient.get_by_role("heading", level=1)
    # What the worker gets done between the patient's two clicks: nothing, the nudge's pull, the pull and a drain.
    worker_steps = [(), (pull_all,), (pull_all, drain)] * 2
    for number, steps in enumerate(worker_steps):
        who = person("Patryk", f"Niezdecydowany{number}")
        patient.goto(osoz.form_url(clinic.private, at(tuesday, 8) + timedelta(minutes=20 * number)))
        patient.get_by_label("Imię").fill(who.first_name)
        patient.get_by_label("Nazwisko").fill(who.last_name)
        patient.get_by_label("Adres e-mail").fill(who.email)
        patient.get_by_label("Numer telefonu").fill(who.phone)
        patient.get_by_label("PESEL").fill(who.pesel)
        patient.get_by_role("button", name="Umów wizytę").click()
        expect(heading).to_have_text("Wizyta została umówiona")
        _as_worker(*steps)
        patient.get_by_label("Powód odwołania").fill("Jednak nie mogę przyjść.")
        patient.get_by_role("button", name="Odwołaj wizytę").click()
        expect(heading).to_have_text("Wizyta odwołana")
        # The acceptance queued by the pull meets the cancellation (409), which the next pull brings.
        _as_worker(drain, pull_all, drain)

    assert not outbox_pending().exists()
    online = Appointment.objects.filter(source=AppointmentSource.OSOZ)
    assert online.count() == len(worker_steps)
    assert set(online.values_list("status", "cancelled_by_label")) == {(AppointmentStatus.CANCELLED, "OSOZ")}
    assert AuditEvent.objects.filter(action="osoz_booking_settled").exists()
    assert not AuditEvent.objects.filter(action="osoz_booking_failed").exists()
    assert_both_sides_agree(osoz)

    # §7: the doctor, then the location, then the switch.
    employee_update(
        employee=clinic.doctor,
        data={"osoz_enabled": False},
        specialisations=clinic.doctor.osoz_specialisations.all(),
        cells=[clinic.cell],
        osoz_cells=[clinic.cell],
        actor=alice,
    )
    location_update(location=clinic.location, data={"osoz_enabled": False}, actor=alice)
    _as_worker(drain)
    admin = asgi_page_for()
    browser_login(admin, alice)
    admin.goto("/ustawienia/osoz/stan/")
    expect(admin.locator("dt:text-is('Czeka na wysłanie') + dd")).to_have_text("0")
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(SHOTS / "status_after_cancellations.png"), full_page=True)
    admin.goto("/ustawienia/osoz/")
    admin.get_by_role("button", name="Wyłącz integrację").click()
    expect(admin.locator(".message.success")).to_have_text("Wyłączono integrację z OSOZ.")
    assert not Connection.objects.get().enabled


def test_a_tampered_approval_webhook_is_refused_and_audited_and_books_nothing(live_loop, asgi_live_server):
    clinic = live_loop.clinic
    secret = secret_decrypt(Connection.objects.get().webhook_secret_encrypted)
    document = booking_document(clinic, starts_at=at(next_day(0), 11, 40))
    body = json.dumps(document).encode()
    timestamp = str(int(time.time()))

    def post(content: bytes, signed: bytes) -> httpx.Response:
        signature = hmac.new(secret, timestamp.encode() + b"." + signed, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-OSOZ-Timestamp": timestamp,
            "X-OSOZ-Signature": f"v1={signature}",
            "X-OSOZ-Event-Id": str(uuid.uuid4()),
        }
        return httpx.post(f"{asgi_live_server.url}/osoz/v1/booking-approval", content=content, headers=headers)

    # Someone changed the booked time after OSOZ signed the body.
    tampered = json.dumps({**document, "starts_at": at(next_day(0), 8).isoformat()}).encode()
    answer = post(tampered, body)
    assert answer.status_code == 401
    audit = AuditEvent.objects.get(action="osoz_webhook_rejected")
    assert (audit.category, audit.outcome) == (AuditCategory.SECURITY, AuditOutcome.FAILURE)
    assert audit.message == "Odrzucono zapytanie OSOZ o zatwierdzenie rezerwacji: nieprawidłowy podpis."
    assert not OsozBooking.objects.exists() and not Appointment.objects.exists()
    assert not Patient.objects.exists()

    # The very same delivery, signed as sent, is what the product books.
    genuine = post(body, body)
    assert genuine.status_code == 200 and genuine.json()["decision"] == "accepted"
    assert Appointment.objects.get().pk == int(genuine.json()["appointment_ref"])
