"""The benchmark clinic: 100 doctors on weekday schedules for 8 weeks, 30 % of their slots booked, one busy day, and
one day left free for the booking races. Built with bulk inserts into the throw-away benchmark database."""

import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import httpx
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import TOTPDevice, User
from accounts.roles import RECEPTION
from clinic.models import Cell, Employee, EmployeeCell, Location
from core.text import polish_sort_key
from core.time import WARSAW
from patients.models import DocumentType, Patient
from scheduling.models import Appointment, AppointmentSource, Schedule, ScheduleBlock

ROOT = Path(__file__).resolve().parent.parent
DOCTORS = 100
WEEKS = 8
BOOKED_SHARE = 0.30
BUSY_DAY_DOCTORS = 50
BUSY_DAY_PER_DOCTOR = 30
SLOT_MINUTES = 15
DAY_START, DAY_END = clock(8), clock(16)
SLOTS_PER_DAY = 32


@dataclass
class Fill:
    monday: date
    busy_day: date
    race_day: date
    employee_ids: list[int]
    schedule_ids: dict[int, int]
    patient_ids: list[int]
    receptionist: User
    slots_total: int
    appointments_total: int
    busy_day_appointments: int


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def session_cookies(user: User) -> dict[str, str]:
    """A session that passed both factors, as a cookie for any client of the benchmark database."""
    device = TOTPDevice.objects.get(user=user)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return {settings.SESSION_COOKIE_NAME: session.session_key}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(env: dict[str, str], *, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """The product under uvicorn (two workers unless told) on the benchmark database; returns the process and its
    URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers), "--no-proxy-headers", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/healthz")
    return server, url


def wait_for(url: str, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def _slot_start(day: date, index: int) -> datetime:
    return datetime.combine(day, DAY_START, tzinfo=WARSAW) + timedelta(minutes=SLOT_MINUTES * index)


def populate(seed: int = 2026) -> Fill:
    rng = random.Random(seed)
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    last_day = monday + timedelta(weeks=WEEKS) - timedelta(days=1)
    busy_day = monday + timedelta(days=1)
    race_day = last_day - timedelta(days=2)  # the last Friday: left free for the races

    receptionist = User.objects.create_user(username="bench", password="Bench-password-2026")
    receptionist.groups.add(Group.objects.get(name=RECEPTION))
    TOTPDevice.objects.create(user=receptionist, name="bench", confirmed=True)

    location = Location.objects.create(name="Przychodnia Benchmark", osoz_unit_number=1, city="Poznań")
    cell = Cell.objects.create(location=location, name="Poradnia ogólna")
    employees = Employee.objects.bulk_create(
        Employee(
            first_name=f"Lekarz{i}",
            last_name=f"Benchmarkowy{i:03d}",
            sort_name=polish_sort_key(f"Benchmarkowy{i:03d}", f"Lekarz{i}"),
            is_medical=True,
        )
        for i in range(DOCTORS)
    )
    EmployeeCell.objects.bulk_create(EmployeeCell(employee=e, cell=cell) for e in employees)
    schedules = Schedule.objects.bulk_create(
        Schedule(employee=e, cell=cell, valid_from=monday, valid_to=last_day, is_nfz=True) for e in employees
    )
    ScheduleBlock.objects.bulk_create(
        ScheduleBlock(schedule=s, weekday=w, start_time=DAY_START, end_time=DAY_END, visit_minutes=SLOT_MINUTES)
        for s in schedules
        for w in range(5)
    )
    patients = Patient.objects.bulk_create(
        Patient(
            first_name="Jan",
            last_name=f"Pacjent{i:05d}",
            first_name_folded="jan",
            last_name_folded=f"pacjent{i:05d}",
            sort_name=polish_sort_key(f"Pacjent{i:05d}", "Jan"),
            document_type=DocumentType.PASSPORT,
            document_number=f"BN{i:07d}",
            birth_date=date(1980, 1, 1) + timedelta(days=i),
            sex="M",
        )
        for i in range(2000)
    )
    patient_ids = [p.pk for p in patients]

    appointments, busy_count = [], 0
    day = monday
    while day <= last_day:
        if day.weekday() < 5 and day != race_day:
            for index, (employee, schedule) in enumerate(zip(employees, schedules, strict=True)):
                if day == busy_day and index < BUSY_DAY_DOCTORS:
                    booked = rng.sample(range(SLOTS_PER_DAY), BUSY_DAY_PER_DOCTOR)
                    busy_count += len(booked)
                else:
                    booked = [k for k in range(SLOTS_PER_DAY) if rng.random() < BOOKED_SHARE]
                for k in booked:
                    start = _slot_start(day, k)
                    appointments.append(
                        Appointment(
                            employee=employee,
                            cell=cell,
                            schedule=schedule,
                            patient_id=rng.choice(patient_ids),
                            starts_at=start,
                            ends_at=start + timedelta(minutes=SLOT_MINUTES),
                            source=AppointmentSource.CALENDAR,
                            is_nfz=True,
                            booked_by_label="bench",
                        )
                    )
        day += timedelta(days=1)
    Appointment.objects.bulk_create(appointments, batch_size=5000)
    working_days = sum(1 for i in range(WEEKS * 7) if (monday + timedelta(days=i)).weekday() < 5)
    return Fill(
        monday=monday,
        busy_day=busy_day,
        race_day=race_day,
        employee_ids=[e.pk for e in employees],
        schedule_ids={e.pk: s.pk for e, s in zip(employees, schedules, strict=True)},
        patient_ids=patient_ids,
        receptionist=receptionist,
        slots_total=DOCTORS * working_days * SLOTS_PER_DAY,
        appointments_total=len(appointments),
        busy_day_appointments=busy_count,
    )


def race_slot(fill: Fill) -> dict:
    return {"employee": fill.employee_ids[0], "starts_at": _slot_start(fill.race_day, 0).isoformat()}


def staggered_slots(fill: Fill, *, count: int) -> list[dict]:
    """The security review's race: one doctor's visits asked for every 3 minutes from the start of the race day, so
    each overlaps its neighbours; only those on the slot grid can stand."""
    start = _slot_start(fill.race_day, 0)
    return [
        {"employee": fill.employee_ids[-1], "starts_at": (start + timedelta(minutes=3 * k)).isoformat(), "patient": p}
        for k, p in zip(range(count), fill.patient_ids[50:], strict=False)
    ]


def distinct_slots(fill: Fill, *, count: int) -> list[dict]:
    """Free slots of the race day, each booked once, by doctors other than the race's."""
    bodies = [
        {"employee": employee_id, "starts_at": _slot_start(fill.race_day, k).isoformat(), "patient": patient}
        for employee_id in fill.employee_ids[1:]
        for k, patient in zip(range(SLOTS_PER_DAY), fill.patient_ids[100:], strict=False)
    ]
    return bodies[:count]
