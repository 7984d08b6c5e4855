"""Benchmarks 14 and 15: the patient portal (issue 18), through uvicorn on PostgreSQL, as patients use it.

14. The timetable of one poradnia over four weeks, a week a page as the portal shows it, read by 100 patients at
    once, each with his own portal session, looking at each week for two to five seconds before the next (a bounded
    load: about as many pages a second as the patients can read), while the reception books a visit in that poradnia
    every two seconds through the API (each booking ends the cached timetable, portal.booking): the server's own time
    per page (Server-Timing, apart from the wait for a free worker), p50 and p95, and what the patients waited; floor:
    /healthz under the same load.
15. 200 patients racing for 20 slots, ten for each: "Wybierz termin" (the hold) and then "Potwierdź wizytę". Exactly 20
    visits may be booked, every other patient must read that the slot is taken, and nothing may answer 5xx; floor:
    as many requests of /healthz at once.

Their clinic is a poradnia of its own beside the benchmark's: ten doctors on commercial schedules offered online,
Monday to Friday 8:00–16:00 in 20-minute visits over four weeks, 30 % booked, opened to the portal (POR-7)."""

import os
import random
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.urls import reverse

from bench import data
from clinic.models import Cell, Employee, EmployeeCell, Location
from core.text import polish_sort_key
from core.time import WARSAW
from patients.models import DocumentType, Patient
from portal.models import PatientAccount, PortalCell
from portal.sessions import ACCOUNT_KEY, HASH_KEY
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus, Schedule, ScheduleBlock

DOCTORS = 10
WEEKS = 4
VISIT_MINUTES = 20
SLOTS_PER_DAY = 24  # 8:00-16:00
BOOKED_SHARE = 0.30
PATIENTS = 200
TIMETABLE_PATIENTS = 100
TIMETABLE_ROUNDS = 2
THINK_SECONDS = (2.0, 5.0)
RECEPTION_BOOKING_SECONDS = 2.0
RACE_SLOTS = 20
TAKEN = "zajęty"  # "Ten termin jest już zajęty…", "…został właśnie zajęty…" (scheduling.services)


def _clinic(fill: data.Fill) -> tuple[Cell, list[Employee], list[Schedule]]:
    location = Location.objects.create(
        name="Przychodnia Portalowa", osoz_unit_number=90, city="Poznań", osoz_enabled=True
    )
    cell = Cell.objects.create(location=location, name="Poradnia kardiologiczna")
    PortalCell.objects.create(cell=cell, commercial=True)
    doctors = Employee.objects.bulk_create(
        Employee(
            first_name=f"Lekarz{i}",
            last_name=f"Portalowy{i:02d}",
            sort_name=polish_sort_key(f"Portalowy{i:02d}", f"Lekarz{i}"),
            is_medical=True,
            osoz_enabled=True,
        )
        for i in range(DOCTORS)
    )
    EmployeeCell.objects.bulk_create(EmployeeCell(employee=e, cell=cell, osoz_published=True) for e in doctors)
    last_day = fill.monday + timedelta(weeks=WEEKS) - timedelta(days=1)
    schedules = Schedule.objects.bulk_create(
        Schedule(employee=e, cell=cell, valid_from=fill.monday, valid_to=last_day, is_nfz=False, osoz_online=True)
        for e in doctors
    )
    ScheduleBlock.objects.bulk_create(
        ScheduleBlock(
            schedule=s, weekday=w, start_time=data.DAY_START, end_time=data.DAY_END, visit_minutes=VISIT_MINUTES
        )
        for s in schedules
        for w in range(5)
    )
    return cell, doctors, schedules


def _race_day(fill: data.Fill):
    """The Friday of the portal clinic's last week, whose first slots of the first two doctors are left free."""
    return fill.monday + timedelta(weeks=WEEKS) - timedelta(days=3)


def _start(day, index: int) -> datetime:
    return datetime.combine(day, data.DAY_START, tzinfo=WARSAW) + timedelta(minutes=VISIT_MINUTES * index)


def _book_some(fill: data.Fill, doctors, schedules, cell) -> int:
    """30 % of the four weeks booked, except the race day's first slots of the first two doctors."""
    rng = random.Random(14)  # the same clinic every run
    booked = []
    for offset in range(WEEKS * 7):
        day = fill.monday + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for doctor, schedule in zip(doctors, schedules, strict=True):
            for k in range(SLOTS_PER_DAY):
                if day == _race_day(fill) and doctor in doctors[:2]:
                    continue
                if rng.random() < BOOKED_SHARE:
                    start = _start(day, k)
                    booked.append(
                        Appointment(
                            employee=doctor,
                            cell=cell,
                            schedule=schedule,
                            patient_id=rng.choice(fill.patient_ids),
                            starts_at=start,
                            ends_at=start + timedelta(minutes=VISIT_MINUTES),
                            source=AppointmentSource.CALENDAR,
                            is_nfz=False,
                            booked_by_label="bench",
                        )
                    )
    Appointment.objects.bulk_create(booked, batch_size=5000)
    return len(booked)


def _patients() -> list[dict[str, str]]:
    """PATIENTS patients with a verified portal account each, logged in: their cookies (a portal session, CSRF)."""
    patients = Patient.objects.bulk_create(
        Patient(
            first_name="Anna",
            last_name=f"Portalowa{i:03d}",
            first_name_folded="anna",
            last_name_folded=f"portalowa{i:03d}",
            sort_name=polish_sort_key(f"Portalowa{i:03d}", "Anna"),
            document_type=DocumentType.PASSPORT,
            document_number=f"PT{i:07d}",
            birth_date=datetime(1970, 1, 1).date() + timedelta(days=i * 17),
            sex="K",
        )
        for i in range(PATIENTS)
    )
    password = make_password("Portal-bench-2026")  # one hash for all: hashing 200 passwords would take a minute
    accounts = PatientAccount.objects.bulk_create(
        PatientAccount(
            email=f"pacjent{i:03d}@bench.example",
            password=password,
            patient=patient,
            email_verified_at=datetime.now(WARSAW),
        )
        for i, patient in enumerate(patients)
    )
    csrf = get_token(RequestFactory().get("/"))
    cookies = []
    for account in accounts:
        session = SessionStore()
        session[ACCOUNT_KEY] = account.pk
        session[HASH_KEY] = account.password[-16:]
        session.set_expiry(settings.PORTAL_SESSION_IDLE_SECONDS)
        session.create()
        cookies.append({settings.PORTAL_SESSION_COOKIE_NAME: session.session_key, settings.CSRF_COOKIE_NAME: csrf})
    return cookies


def _reception(
    base: str, fill: data.Fill, cell: Cell
) -> tuple[threading.Event, list[tuple[dict, int]], threading.Thread]:
    """The reception booking the poradnia's free slots (the race day's aside) one every RECEPTION_BOOKING_SECONDS
    through the API until told to stop: the event that stops it, each booking asked for with its status, its
    thread."""
    booked = set(Appointment.objects.filter(cell=cell).values_list("employee_id", "starts_at"))
    doctor_ids = list(cell.employees.values_list("pk", flat=True))
    days = [fill.monday + timedelta(days=offset) for offset in range(WEEKS * 7)]
    slots = [
        (doctor_id, _start(day, k))
        for day in days
        if day.weekday() < 5 and day != _race_day(fill)
        for k in range(SLOTS_PER_DAY)
        for doctor_id in doctor_ids
    ]
    free = [slot for slot in slots if slot not in booked]
    bodies = [
        {"employee": doctor_id, "starts_at": start.isoformat(), "patient": patient_id}
        for (doctor_id, start), patient_id in zip(random.Random(15).sample(free, 200), fill.patient_ids, strict=False)
    ]
    cookies = data.session_cookies(fill.receptionist)
    stop, statuses = threading.Event(), []

    def book() -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as http:
            csrf = http.get("/").cookies[settings.CSRF_COOKIE_NAME]
            http.headers.update({"X-CSRFToken": csrf, "Referer": base})
            for body in bodies:
                if stop.wait(RECEPTION_BOOKING_SECONDS):
                    return
                statuses.append((body, http.post("/api/v1/appointments/", json=body).status_code))

    thread = threading.Thread(target=book, name="reception")
    thread.start()
    return stop, statuses, thread


def _server_timing(response: httpx.Response) -> float:
    match = re.search(r"app;dur=([\d.]+)", response.headers.get("server-timing", ""))
    assert match, f"no Server-Timing from {response.request.url}"
    return float(match.group(1)) / 1000


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _load(base: str, cookies: list[dict], paths: list[str]) -> tuple[list[float], list[float], list[int]]:
    """Each patient reads `paths` in turn TIMETABLE_ROUNDS times, thinking THINK_SECONDS between pages, all of them at
    once from a thread each; the server's times, the patients' waits and the statuses."""
    server, waited, statuses = [], [], []
    lock = threading.Lock()
    barrier = threading.Barrier(len(cookies))

    def patient(index: int) -> None:
        think = random.Random(index)  # each patient his own pace, the same every run
        with httpx.Client(base_url=base, cookies=cookies[index], timeout=120) as http:
            barrier.wait()
            time.sleep(think.uniform(0, THINK_SECONDS[1]))  # the patients arrive over a couple of seconds
            for _ in range(TIMETABLE_ROUNDS):
                for path in paths:
                    started = time.perf_counter()
                    try:
                        response = http.get(path)
                    except httpx.TransportError:  # the server dropped the connection: an error as a 5xx is
                        response = None
                    elapsed = time.perf_counter() - started
                    with lock:
                        statuses.append(response.status_code if response is not None else 0)
                        waited.append(elapsed)
                        if response is not None and response.status_code == 200:
                            server.append(_server_timing(response))
                    time.sleep(think.uniform(*THINK_SECONDS))

    with ThreadPoolExecutor(max_workers=len(cookies)) as pool:
        list(pool.map(patient, range(len(cookies))))
    return server, waited, statuses


def bench_portal(fill: data.Fill) -> list[dict]:
    cell, doctors, schedules = _clinic(fill)
    booked = _book_some(fill, doctors, schedules, cell)
    cookies = _patients()
    env = {**os.environ, "DATABASE_URL": data.database_url(), "DJANGO_DEBUG": "false", "SERVER_TIMING": "true"}
    env["SECRET_KEY"] = settings.SECRET_KEY
    server, base = data.server_start(env)
    try:
        weeks = [
            f"{reverse('portal:book_commercial')}?cell={cell.pk}&od={(fill.monday + timedelta(weeks=k)).isoformat()}"
            for k in range(WEEKS)
        ]
        offered = 0
        with httpx.Client(base_url=base, cookies=cookies[0], timeout=60) as http:
            for week in weeks:
                page = http.get(week)
                assert page.status_code == 200, page.status_code
                offered += page.text.count('name="slot"')
        load = cookies[:TIMETABLE_PATIENTS]
        stop, reception, thread = _reception(base, fill, cell)
        try:
            server_times, waits, statuses = _load(base, load, weeks)
        finally:
            stop.set()
            thread.join()
        booked_meanwhile = [
            f"{body['employee']}:{int(datetime.fromisoformat(body['starts_at']).timestamp())}"
            for body, status in reception
            if status == 201
        ]
        with httpx.Client(base_url=base, cookies=cookies[-1], timeout=60) as http:
            pages = "".join(http.get(week).text for week in weeks)
        still_shown = sum(1 for slot in booked_meanwhile if f'value="{slot}"' in pages)
        floor_times, _floor_waits, _ = _load(base, load, ["/healthz"] * WEEKS)
        race = _race(base, cookies, fill, doctors)
    finally:
        server.terminate()
        server.wait(timeout=30)
    p50, p95 = statistics.median(server_times), _percentile(server_times, 0.95)
    floor_p95 = _percentile(floor_times, 0.95)
    errors = sum(1 for status in statuses if status != 200)  # 5xx, and 0 for a connection the server dropped
    timetable_result = {
        "name": "portal timetable, 100 patients at once",
        "seconds": p95,
        "floor_seconds": floor_p95,
        "ratio": p95 / floor_p95,
        "p50_seconds": p50,
        "waited_p50_seconds": statistics.median(waits),
        "waited_p95_seconds": _percentile(waits, 0.95),
        "errors": errors,
        "reception_bookings": len(booked_meanwhile),
        "booked_still_shown": still_shown,
        "target": "server p95 <= 200 ms, no errors, none stale",
        "met": p95 <= 0.2 and errors == 0 and len(booked_meanwhile) == len(reception) and still_shown == 0,
        "detail": f"one poradnia, {DOCTORS} doctors, 4 weeks ({offered} free slots on 4 pages, {booked} booked); "
        f"{len(load)} patients x {TIMETABLE_ROUNDS} x 4 weeks, 2-5 s between pages, while the reception booked "
        f"{len(booked_meanwhile)} visits there (one every {RECEPTION_BOOKING_SECONDS:.0f} s; other answers: "
        f"{len(reception) - len(booked_meanwhile)}; still shown afterwards: {still_shown}): "
        f"server p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
        f"the patients waited p50 {statistics.median(waits) * 1000:.0f} ms, p95 {_percentile(waits, 0.95) * 1000:.0f}"
        f" ms (uvicorn, 2 workers, 2 cores); {errors} errors; floor /healthz server p95 {floor_p95 * 1000:.1f} ms",
    }
    return [timetable_result, race]


def _race(base: str, cookies: list[dict], fill: data.Fill, doctors) -> dict:
    """PATIENTS patients, ten for each of RACE_SLOTS free slots of the race day, hold and confirm at once."""
    slots = [(doctors[k // 10], k % 10) for k in range(RACE_SLOTS)]
    barrier = threading.Barrier(len(cookies))
    hold_url, confirm_url = reverse("portal:book_hold"), reverse("portal:book_confirm")

    def patient(index: int) -> str:
        try:
            return _race_patient(index)
        except httpx.TransportError:
            return "dropped"

    def _race_patient(index: int) -> str:
        doctor, k = slots[index % RACE_SLOTS]
        start = _start(_race_day(fill), k)
        jar = cookies[index]
        headers = {"X-CSRFToken": jar[settings.CSRF_COOKIE_NAME], "Referer": base}
        with httpx.Client(base_url=base, cookies=jar, headers=headers, timeout=120) as http:
            barrier.wait()
            held = http.post(
                hold_url,
                data={"slot": f"{doctor.pk}:{int(start.timestamp())}", "kind": "visit", "tryb": "komercyjna"},
            )
            if held.status_code >= 500:
                return "5xx"
            if held.headers.get("location") == confirm_url:
                confirmed = http.post(confirm_url)
                if confirmed.status_code >= 500:
                    return "5xx"
                if confirmed.headers.get("location") == reverse("portal:home"):
                    return "booked"
                told = http.get(confirmed.headers.get("location", reverse("portal:book")))
            else:
                told = http.get(held.headers.get("location", reverse("portal:book")))
            if told.status_code >= 500:
                return "5xx"
            return "taken" if TAKEN in told.text else f"other {held.status_code}"

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(cookies)) as pool:
        outcomes = list(pool.map(patient, range(len(cookies))))
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(cookies)) as pool:
        # A client each, as each patient had: one client shared by 200 threads lost its connections.
        list(pool.map(lambda _: httpx.get(f"{base}/healthz", timeout=120).status_code, range(len(cookies))))
    floor = time.perf_counter() - started
    booked = Appointment.objects.filter(source=AppointmentSource.PORTAL, status=AppointmentStatus.BOOKED).count()
    counts = {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes))}
    return {
        "name": "200 patients racing for 20 portal slots",
        "seconds": seconds,
        "floor_seconds": floor,
        "ratio": seconds / floor,
        "outcomes": counts,
        "bookings": booked,
        "target": "exactly 20 booked, the rest 'termin zajęty', no 5xx",
        "met": booked == RACE_SLOTS and counts.get("booked") == RACE_SLOTS and counts.get("taken") == len(cookies) - 20,
        "detail": f"{booked} visits booked; the patients read: "
        + ", ".join(f"{n} x {outcome}" for outcome, n in counts.items())
        + f"; all {len(cookies)} done in {seconds:.1f} s (floor: {len(cookies)} requests of /healthz at once)",
    }
