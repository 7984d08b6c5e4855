"""The whole OSOZ loop for the end-to-end tests: the product under uvicorn (its approval and nudge receivers reachable),
a fresh sandbox process per test, the clinic connected through the real configuration wizard, and patients booking
and cancelling on the sandbox's patient site over HTTP as a browser would.

What the sandbox holds is read as a tester would: its JSON pages (/powiadomienia.json, /awarie.json) over HTTP and
its SQLite file opened read-only; the product's side through its models."""

import hashlib
import html
import re
import shutil
import socket
import sqlite3
import time
import uuid
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from django.utils import timezone
from django.utils.text import slugify

from core.time import WARSAW
from devtools.sandbox import SandboxServer, booking_form_path, csrf_token
from osoz_integration import feed, outbox
from osoz_integration.models import Connection, OsozBooking, OsozBookingState
from osoz_integration.selectors import outbox_pending
from osoz_integration.tests.conftest import SANDBOX_ENTITY_ID, connect
from osoz_integration.tests.osoz_bookings import keyed_clinic
from patients.pesel import FEMALE, MALE, pesel_make
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus

SANDBOX_DB = "sandbox.sqlite3"
ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def eventually(condition, *, seconds: float = 20, what: str = "the condition", poll: float = 0.05) -> None:
    """Poll until the condition holds; fail after the deadline."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(poll)


# --- The sandbox ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_template(tmp_path_factory) -> Path:
    """A sandbox database migrated and seeded once per test session; every test starts from a copy of it."""
    folder = tmp_path_factory.mktemp("osoz-sandbox-template")
    server = SandboxServer(folder)
    server.manage("migrate", "--noinput")
    server.manage("sandbox_seed")
    return folder / SANDBOX_DB


@pytest.fixture
def sandbox_server(sandbox_template, tmp_path):
    """A fresh OSOZ sandbox process for this test (no rate limit: the fault tests send many commands)."""
    folder = tmp_path / "osoz-sandbox"
    folder.mkdir()
    shutil.copyfile(sandbox_template, folder / SANDBOX_DB)
    server = SandboxServer(folder, OSOZ_SANDBOX_RATE_LIMIT="1000000")
    server.folder = folder
    server.start()
    yield server
    server.stop()


class Osoz:
    """The live sandbox as the tests read and drive it."""

    def __init__(self, server: SandboxServer):
        self.server = server
        self.url = server.url
        self.db = server.folder / SANDBOX_DB

    def rows(self, sql: str, *params) -> list[dict]:
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=20)) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql, params)]

    def bookings(self) -> dict[uuid.UUID, dict]:
        """Every booking of the sandbox by its id: status, reason, start (aware), appointment_ref, note, card."""
        found = {}
        for row in self.rows(
            "SELECT booking_id, status, reason, starts_at, appointment_ref, patient_note, osoz_card_number, "
            "requirement_accepted, email, cancel_token_hash FROM osoz_sandbox_booking"
        ):
            row["starts_at"] = datetime.fromisoformat(row["starts_at"]).replace(tzinfo=UTC)
            found[uuid.UUID(row.pop("booking_id"))] = row
        return found

    def booking_of(self, token: str) -> tuple[uuid.UUID, dict]:
        """The booking behind a patient's cancellation link."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        (match,) = [(key, row) for key, row in self.bookings().items() if row["cancel_token_hash"] == digest]
        return match

    def notifications(self, booking_id: uuid.UUID) -> list[dict]:
        response = httpx.get(f"{self.url}/powiadomienia.json", params={"rezerwacja": str(booking_id)}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["notifications"]

    def faults(self, **changes) -> dict:
        response = httpx.post(f"{self.url}/awarie.json", json=changes, timeout=10)
        assert response.status_code == 200, response.text
        state = response.json()
        assert {name: state[name] for name in changes} == changes
        return state

    def doctor_page(self, doctor, day) -> str:
        return f"{self.url}/lbk/lekarz/{SANDBOX_ENTITY_ID}/{doctor.pk}/?od={day.isoformat()}"

    def form_url(self, schedule, starts_at: datetime) -> str:
        path = booking_form_path(
            entity_id=SANDBOX_ENTITY_ID,
            doctor_id=schedule.employee_id,
            schedule_id=schedule.pk,
            starts_at=starts_at.astimezone(WARSAW),
        )
        return self.url + path


@dataclass
class Person:
    """A patient of the sandbox's patient site."""

    first_name: str
    last_name: str
    pesel: str
    email: str
    phone: str = "601 234 567"
    card: str = ""
    note: str = ""

    @property
    def listed(self) -> str:
        """As the calendar shows the patient."""
        return f"{self.last_name} {self.first_name}"


_serials = iter(range(100, 10_000))


def person(first_name: str, last_name: str, *, female: bool = False, **extra) -> Person:
    """A patient with a PESEL of his own."""
    serial = next(_serials)
    born = datetime(1970 + serial % 40, 1 + serial % 12, 1 + serial % 28).date()
    pesel = pesel_make(birth_date=born, sex=FEMALE if female else MALE, serial=serial)
    email = f"{slugify(first_name)}.{slugify(last_name)}.{serial}@example.com"
    return Person(first_name, last_name, pesel, email, **extra)


@dataclass
class Booked:
    """The sandbox's answer to a booking form: the page the patient ends on and the booking behind it."""

    response: httpx.Response
    token: str | None

    @property
    def heading(self) -> str:
        return html.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", self.response.text, re.S).group(1)).strip()

    @property
    def refusal(self) -> str:
        found = re.search(r'class="refusal" role="alert">(.*?)</', self.response.text, re.S)
        return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""

    @property
    def errors(self) -> list[str]:
        """What the form says is wrong: the refusal and each field's errors."""
        found = re.findall(r'class="errors">(.*?)</p>', self.response.text, re.S)
        return [text for text in [self.refusal, *map(html.unescape, found)] if text]


class BookingForm:
    """The booking form of one slot, opened (session and CSRF token) so it can be submitted at a chosen moment."""

    def __init__(self, osoz: Osoz, schedule, starts_at: datetime):
        self.osoz = osoz
        self.url = osoz.form_url(schedule, starts_at)
        self.http = httpx.Client(timeout=30, follow_redirects=True)
        page = self.http.get(self.url)
        assert page.status_code == 200, f"the sandbox does not offer {starts_at}: {page.status_code}"
        self.text = page.text
        self.csrf = csrf_token(page.text)
        self.requirement = 'name="requirement_accepted"' in page.text

    def submit(self, who: Person, **choices: str) -> Booked:
        """Send the form filled in for `who`, with the form's other fields as `choices` (e.g. kind="televisit")."""
        data = {
            **choices,
            "csrfmiddlewaretoken": self.csrf,
            "first_name": who.first_name,
            "last_name": who.last_name,
            "email": who.email,
            "phone": who.phone,
            "pesel": who.pesel,
            "osoz_card_number": who.card,
        }
        if who.note:
            data.update(note_wanted="on", patient_note=who.note)
        if self.requirement:
            data["requirement_accepted"] = "on"
        try:
            response = self.http.post(self.url, data=data, headers={"Referer": self.url})
        finally:
            self.http.close()
        found = re.search(r"/lbk/rezerwacja/([A-Za-z0-9_-]{20,})/$", str(response.url))
        return Booked(response=response, token=found.group(1) if found else None)


def patient_books(osoz: Osoz, schedule, starts_at: datetime, who: Person) -> Booked:
    booked = BookingForm(osoz, schedule, starts_at).submit(who)
    assert booked.token, f"the sandbox refused the booking: {booked.errors} ({booked.response.status_code})"
    return booked


def patient_cancels(osoz: Osoz, token: str, reason: str) -> httpx.Response:
    """The patient opens the link from the e-mail and cancels the visit."""
    with httpx.Client(timeout=30, follow_redirects=True) as http:
        url = f"{osoz.url}/lbk/rezerwacja/{token}/"
        page = http.get(url)
        assert "Odwołaj wizytę" in page.text, page.text[:500]
        csrf = csrf_token(page.text)
        done = http.post(url, data={"csrfmiddlewaretoken": csrf, "reason": reason}, headers={"Referer": url})
    assert "Wizyta odwołana" in done.text, done.text[:500]
    return done


# --- The clinic -----------------------------------------------------------------------------------------------------


def next_day(weekday: int) -> datetime:
    """Midnight in Warsaw of the first such weekday after tomorrow (well inside the published window)."""
    day = timezone.localdate() + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, clock(0), tzinfo=WARSAW)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), clock(hour, minute), tzinfo=WARSAW)


def drain(*, seconds: float = 60) -> None:
    """Deliver the whole outbox now, as the worker's drains would."""
    deadline = time.monotonic() + seconds
    while outbox.outbox_drain().more:
        assert time.monotonic() < deadline, "the outbox did not drain"


def drained() -> bool:
    """Drain what is due now (as the beat's drain every few seconds would); True once nothing waits."""
    drain()
    return not outbox_pending().exists()


def pull_all() -> feed.PullResult:
    """Pull until the cursor stops moving."""
    total = feed.PullResult()
    for _round in range(20):
        cursor = Connection.objects.get().booking_cursor
        result = feed.booking_events_pull()
        total.pages += result.pages
        total.applied += result.applied
        total.duplicates += result.duplicates
        total.failed = result.failed
        if result.failed or Connection.objects.get().booking_cursor == cursor:
            return total
    pytest.fail("the booking events feed never ran dry")


def connected_loop(settings, client_for, alice, server, *, callback_url: str, clinic=None) -> SimpleNamespace:
    """The clinic connected through the wizard with OSOZ told to call `callback_url`, everything published."""
    clinic = clinic or keyed_clinic()
    settings.OSOZ_CALLBACK_BASE_URL = callback_url
    connect(client_for(alice), server)
    drain()
    assert not outbox_pending().exists()
    return SimpleNamespace(osoz=Osoz(server), clinic=clinic)


def assert_both_sides_agree(osoz: Osoz) -> dict[uuid.UUID, OsozBooking]:
    """Every sandbox booking is known to the product exactly once and in the same state; every online booking the
    sandbox holds as accepted is exactly one active appointment at the same time, and no slot is booked twice."""
    there = osoz.bookings()
    here = {
        record.booking_id: record
        for record in OsozBooking.objects.select_related("appointment").order_by("pk")  # booking_id is unique
    }
    assert set(here) == set(there), "the two sides do not know the same bookings"
    for booking_id, remote in there.items():
        local, appointment = here[booking_id], here[booking_id].appointment
        assert local.osoz_state == local.state, f"OSOZ was not told about {booking_id}: {local.state}"
        match remote["status"]:
            case "accepted":
                assert local.state == OsozBookingState.ACCEPTED
                assert appointment.status in ACTIVE and remote["appointment_ref"] == str(appointment.pk)
                assert appointment.starts_at == remote["starts_at"] and appointment.source == AppointmentSource.OSOZ
            case "rejected":
                assert local.state == OsozBookingState.REJECTED and appointment is None
                assert remote["reason"] == local.reason
            case "cancelled_by_patient":
                assert local.state == OsozBookingState.CANCELLED_BY_PATIENT
                assert appointment is None or appointment.status == AppointmentStatus.CANCELLED
                assert appointment is None or appointment.cancelled_by_label == "OSOZ"
            case "cancelled_by_clinic":
                assert local.state == OsozBookingState.CANCELLED_BY_CLINIC
                assert appointment.status == AppointmentStatus.CANCELLED
            case status:
                pytest.fail(f"booking {booking_id} is still {status} on OSOZ")
    online = Appointment.objects.filter(source=AppointmentSource.OSOZ)
    assert online.count() == OsozBooking.objects.exclude(appointment=None).count(), "an appointment without a booking"
    doubled = Counter(online.filter(status__in=ACTIVE).values_list("employee_id", "starts_at"))
    assert not [slot for slot, n in doubled.items() if n > 1], "a slot booked twice"
    return here
