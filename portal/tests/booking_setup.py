"""What the portal's booking tests share: a poradnia offered in the portal with its doctors' schedules, linked patient
accounts, and a logged-in portal client."""

from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.test import Client
from django.utils import timezone

from clinic.tests.factories import CellFactory, EmployeeFactory
from core.time import WARSAW
from patients.tests.factories import PatientFactory
from portal.models import PatientAccount, PortalCell, PortalDoctor
from portal.sessions import ACCOUNT_KEY, HASH_KEY, SessionStore
from scheduling.models import Schedule
from scheduling.tests.factories import ScheduleFactory

PASSWORD = "Pacjent-portalu-1"

# Wednesday after the tests' today (Tuesday 2026-12-01): the schedules' slots are every 20 minutes from 08:00.
DAY = datetime(2026, 12, 2, tzinfo=WARSAW).date()


def at(hour: int, minute: int = 0, day=DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW)


@dataclass
class Offer:
    """Poradnia dermatologiczna, offered commercially and under NFZ (with a referral), with videoconsultations:
    `video_doctor` offers them, `clinic_doctor` only visits in the clinic (his schedule allows televisits, but the
    portal does not offer them for him), `nfz_doctor` works under NFZ."""

    cell: object
    portal_cell: PortalCell
    video_doctor: object
    video_schedule: Schedule
    clinic_doctor: object
    clinic_schedule: Schedule
    nfz_doctor: object
    nfz_schedule: Schedule


def offer_make(*, referral_required: bool = True) -> Offer:
    cell = CellFactory(name="Poradnia dermatologiczna")
    portal_cell = PortalCell.objects.create(
        cell=cell, commercial=True, nfz=True, videoconsultation=True, referral_required=referral_required
    )
    online = {"cell": cell, "osoz_online": True}
    video_doctor = EmployeeFactory(first_name="Wiktor", last_name="Wideo")
    video_schedule = ScheduleFactory(employee=video_doctor, is_nfz=False, televisit_possible=True, **online)
    clinic_doctor = EmployeeFactory(first_name="Patrycja", last_name="Placówkowa")
    clinic_schedule = ScheduleFactory(employee=clinic_doctor, is_nfz=False, televisit_possible=True, **online)
    nfz_doctor = EmployeeFactory(first_name="Norbert", last_name="Narodowy")
    nfz_schedule = ScheduleFactory(employee=nfz_doctor, is_nfz=True, **online)
    PortalDoctor.objects.create(cell=cell, employee=video_doctor, videoconsultation=True)
    PortalDoctor.objects.create(cell=cell, employee=clinic_doctor, videoconsultation=False)
    return Offer(
        cell, portal_cell, video_doctor, video_schedule, clinic_doctor, clinic_schedule, nfz_doctor, nfz_schedule
    )


def account_make(email: str = "pacjent@example.com", patient=None) -> PatientAccount:
    """A verified account linked to a patient record."""
    account = PatientAccount(email=email, patient=patient or PatientFactory(), email_verified_at=timezone.now())
    account.set_password(PASSWORD)
    account.save()
    return account


def portal_client(account: PatientAccount) -> Client:
    """A test client (its own cookies) logged into the portal as this account, as portal.sessions.portal_login
    leaves the session."""
    session = SessionStore()
    session[ACCOUNT_KEY] = account.pk
    session[HASH_KEY] = account.password[-16:]
    session.save()
    client = Client()
    client.cookies[settings.PORTAL_SESSION_COOKIE_NAME] = session.session_key
    return client


def slot_value(employee, starts_at: datetime) -> str:
    return f"{employee.pk}:{int(starts_at.timestamp())}"
