"""Shared by the tests of bookings coming from OSOZ: a clinic whose location holds a real key pair, Booking documents
with personal data sealed to that key as the platform seals them, and the webhook signature of the contract."""

import functools
import hashlib
import hmac
import json
import uuid
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import httpx
from django.utils import timezone

from clinic.tests.factories import CellFactory, EmployeeFactory, LocationFactory
from core.crypto import keypair_generate, seal, secret_encrypt
from core.time import WARSAW
from osoz_integration.client import OsozClient
from osoz_integration.selectors import connection_get
from patients.pesel import FEMALE, MALE, pesel_make
from scheduling.tests.factories import ScheduleFactory

WEBHOOK_SECRET = b"whsec-test-0123456789abcdef"
SET1 = "Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ samodzielnie. Prosimy o kontakt z placówką"
PESEL_JAN = pesel_make(birth_date=date(1985, 4, 12), sex=MALE, serial=123)
PESEL_EWA = pesel_make(birth_date=date(1990, 7, 3), sex=FEMALE, serial=456)


@functools.cache
def location_keys() -> tuple[bytes, str]:
    """One key pair for the whole run: generating 3072-bit keys takes a while."""
    return keypair_generate()


def keyed_location():
    """A location visible in OSOZ holding its own key pair, so the product opens what the sandbox seals to it."""
    private_pem, public_pem = location_keys()
    return LocationFactory(
        osoz_enabled=True,
        osoz_location_id="100245801",
        osoz_unit_number=1,
        public_key_pem=public_pem,
        private_key_encrypted=secret_encrypt(private_pem),
    )


def keyed_clinic(*, requirement: str = "") -> SimpleNamespace:
    """A keyed location (`keyed_location`), a cell, and lek. Anna Nowak with two schedules shared with OSOZ: private
    on Monday–Wednesday (with the condition `requirement`, if any), NFZ on Thursday–Friday, 08:00–12:00 in 20-minute
    visits."""
    location = keyed_location()
    cell = CellFactory(location=location, name="Poradnia internistyczna")
    doctor = EmployeeFactory(title="lek.", first_name="Anna", last_name="Nowak", osoz_cells=[cell])
    private = ScheduleFactory(
        employee=doctor,
        cell=cell,
        is_nfz=False,
        osoz_online=True,
        osoz_requirement=requirement,
        blocks=[(d, time(8), time(12), 20) for d in (0, 1, 2)],
    )
    nfz = ScheduleFactory(
        employee=doctor, cell=cell, is_nfz=True, osoz_online=True, blocks=[(d, time(8), time(12), 20) for d in (3, 4)]
    )
    return SimpleNamespace(location=location, cell=cell, doctor=doctor, private=private, nfz=nfz)


def connected(*, enabled: bool = True):
    """The clinic connected to OSOZ (credentials and the webhook secret stored), the integration on or off."""
    connection = connection_get()
    connection.client_id = "poradnia-test"
    connection.client_secret_encrypted = secret_encrypt(b"secret")
    connection.webhook_secret_encrypted = secret_encrypt(WEBHOOK_SECRET)
    connection.enabled = enabled
    connection.save()
    return connection


def osoz_stand_in(monkeypatch, module, handle, **client_options) -> None:
    """Point `module`'s OSOZ client at an in-memory stand-in: every request goes to `handle` (httpx.MockTransport)."""

    def client_of(connection) -> OsozClient:
        return OsozClient(
            base_url="http://osoz.test",
            client_id=connection.client_id,
            client_secret="secret",
            transport=httpx.MockTransport(handle),
            **client_options,
        )

    monkeypatch.setattr(module, "connection_client", client_of)


def next_weekday(weekday: int, hour: int, minute: int = 0) -> datetime:
    """The first such weekday after today, at that time in Warsaw (minutes may run past the hour)."""
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=WARSAW) + timedelta(minutes=minute)


def when(moment: datetime) -> str:
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


def booking_document(
    clinic,
    *,
    starts_at: datetime,
    schedule=None,
    pesel: str | None = PESEL_JAN,
    first_name: str = "Jan",
    last_name: str = "Kowalski",
    email: str = "jan.kowalski@example.com",
    phone: str | None = "601 234 567",
    card: str | None = None,
    note: str = "",
    kind: str = "visit",
    booking_id: str | None = None,
    status: str = "pending",
    reason: str | None = None,
    public_pem: str | None = None,
    payer_order: dict | None = None,
) -> dict:
    """A Booking document of the contract, its personal data sealed to the location's public key; with `payer_order`,
    an insurer's booking (contract 1.4.0)."""
    schedule = schedule or clinic.private
    personal = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone, "pesel": pesel}
    envelope = seal(public_pem=public_pem or clinic.location.public_key_pem, plaintext=json.dumps(personal).encode())
    return {
        "booking_id": booking_id or str(uuid.uuid4()),
        "status": status,
        "channel": "insurer" if payer_order else "lekarzebezkolejki",
        "doctor_id": str(schedule.employee_id),
        "schedule_id": str(schedule.pk),
        "location_unit_number": clinic.location.osoz_unit_number,
        "cell_id": str(schedule.cell_id),
        "starts_at": starts_at.astimezone(WARSAW).isoformat(),
        "ends_at": (starts_at + timedelta(minutes=20)).astimezone(WARSAW).isoformat(),
        "kind": kind,
        "nfz": schedule.is_nfz,
        "patient_note": note,
        "osoz_card_number": card,
        "requirement_accepted": False,
        "personal_data": json.loads(envelope),
        "appointment_ref": None,
        "reason": reason,
        "created_at": timezone.now().astimezone(WARSAW).isoformat(),
        "payer_order": payer_order,
    }


def event(event_type: str, booking: dict, *, event_id: str | None = None) -> dict:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": timezone.now().astimezone(WARSAW).isoformat(),
        "booking": booking,
    }


def signed_headers(body: bytes, *, secret: bytes = WEBHOOK_SECRET, timestamp: int | None = None, event_id=None):
    """The headers OSOZ sends with a webhook: X-OSOZ-Signature over "<timestamp>.<body>"."""
    timestamp = int(timezone.now().timestamp()) if timestamp is None else timestamp
    signature = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "HTTP_X_OSOZ_TIMESTAMP": str(timestamp),
        "HTTP_X_OSOZ_SIGNATURE": f"v1={signature}",
        "HTTP_X_OSOZ_EVENT_ID": str(event_id or uuid.uuid4()),
    }
