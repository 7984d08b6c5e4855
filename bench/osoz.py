"""Benchmark 4: how long a local change takes to show in the OSOZ sandbox. The sandbox runs as its own process, the
bench clinic is connected to it through the configuration wizard, a real Celery worker on Redis drains the outbox,
and each change is timed from its commit until the sandbox's API answers with it."""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TOTPDevice, User
from accounts.roles import ADMINISTRATOR
from bench import data
from clinic.models import Employee, EmployeeCell, Location
from config.celery import LIVE_QUEUE, app
from core.crypto import keypair_generate, secret_decrypt, secret_encrypt
from core.models import TaskRequest
from devtools.sandbox import SandboxServer, wizard_code
from osoz_integration.models import OutboxKind
from osoz_integration.outbox import builder_of
from osoz_integration.selectors import connection_client, connection_get, outbox_pending
from osoz_integration.services import connection_update
from patients.models import Patient
from scheduling.models import Appointment, AppointmentSource, Schedule
from scheduling.selectors import free_slots
from scheduling.services import appointment_book, appointment_cancel

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED_DOCTORS = 10
CHANGES = 200  # half bookings, half cancellations of the same slots
POLL_SECONDS = 0.02
CHANGE_TIMEOUT_SECONDS = 10
FLOOR_RUNS = 15
TARGET_P95_SECONDS = 2.0


class SandboxReader:
    """The sandbox's API read with the clinic's own credentials, as the tests read it back."""

    def __init__(self, url: str):
        connection = connection_get()
        token = httpx.post(
            f"{url}/api/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(connection.client_id, secret_decrypt(connection.client_secret_encrypted).decode()),
        ).json()["access_token"]
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def slots(self, doctor_id: int, day) -> list[tuple[str, datetime]]:
        """The doctor's slots the sandbox offers that day: (schedule id, start)."""
        response = self.http.get(
            f"/api/v1/doctors/{doctor_id}/slots", params={"date_from": day.isoformat(), "date_to": day.isoformat()}
        )
        response.raise_for_status()
        return [(slot["schedule_id"], datetime.fromisoformat(slot["starts_at"])) for slot in response.json()["slots"]]

    def starts(self, doctor_id: int, day) -> set[datetime]:
        return {starts_at for _schedule_id, starts_at in self.slots(doctor_id, day)}

    def close(self) -> None:
        self.http.close()


def wait(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {seconds:g} s")
        time.sleep(0.1)


def doctors_published(fill: data.Fill, doctor_ids: list[int], *, nfz: bool = True) -> list[int]:
    """The clinic's location (with its key pair), its cell and these doctors — only these, so each benchmark
    publishes its own — become OSOZ-visible, with their schedules shared online."""
    private_pem, public_pem = keypair_generate()
    Location.objects.update(
        osoz_enabled=True,
        osoz_location_id="100000001",
        osoz_unit_name="Przychodnia Benchmark",
        street="ul. Testowa 1",
        postcode="60-001",
        public_key_pem=public_pem,
        private_key_encrypted=secret_encrypt(private_pem),
    )
    Employee.objects.exclude(pk__in=doctor_ids).update(osoz_enabled=False)
    Employee.objects.filter(pk__in=doctor_ids).update(osoz_enabled=True)
    EmployeeCell.objects.filter(employee_id__in=doctor_ids).update(osoz_published=True)
    Schedule.objects.filter(employee_id__in=doctor_ids).update(osoz_online=True, is_nfz=nfz)
    return doctor_ids


def sandbox_start(folder: str) -> SandboxServer:
    """A sandbox of the benchmark's own in `folder`, migrated, seeded and serving; with no rate limit, as the
    benchmarks send far more than a clinic would."""
    sandbox = SandboxServer(Path(folder), OSOZ_SANDBOX_RATE_LIMIT="1000000")
    sandbox.manage("migrate", "--noinput")
    sandbox.manage("sandbox_seed")
    sandbox.start()
    return sandbox


def connect(sandbox: SandboxServer) -> None:
    """Ustawienia > OSOZ/LBK as an administrator: the wizard through the sandbox's Provider Service, then the
    integration switch, which enqueues the first publication. Each benchmark connects to a sandbox of its own."""
    administrator, made = User.objects.get_or_create(username="bench-admin")
    if made:
        administrator.groups.add(Group.objects.get(name=ADMINISTRATOR))
        TOTPDevice.objects.create(user=administrator, name="bench", confirmed=True)
    connection_update(base_url=sandbox.url, client_id="")
    client = Client(HTTP_HOST="127.0.0.1")
    for name, value in data.session_cookies(administrator).items():
        client.cookies[name] = value
    start = client.get(reverse("osoz_integration:connection_wizard"))
    back = wizard_code(start["Location"])
    client.get(back.removeprefix("http://127.0.0.1"))
    if not connection_get().has_credentials:
        raise RuntimeError("the configuration wizard did not connect the bench clinic to the sandbox")
    client.post(reverse("osoz_integration:connection_switch"), {"enabled": "on"})


def product_env() -> dict[str, str]:
    """The environment of a product process (server or worker) on the benchmark database: it decrypts what this
    process stored (the OSOZ credentials, the location key), so it needs the same keys."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": data.database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "SECRETS_ENCRYPTION_KEYS": ",".join(settings.SECRETS_ENCRYPTION_KEYS),
    }


def worker_start(*, queues: tuple[str, ...] = ("celery", LIVE_QUEUE), beat: Path | None = None) -> subprocess.Popen:
    """A Celery worker of the product consuming `queues`, with the beat schedule (its file at `beat`) if given."""
    name = f"bench-{uuid.uuid4().hex[:8]}@localhost"
    env = product_env()
    # Drains left in the queue by an interrupted run would point at a database that no longer exists. The requests
    # those messages stood for go with them, or the next ones would wait for a message that is gone (no beat here).
    app.control.purge()
    TaskRequest.objects.update(requested_at=None)
    command = [sys.executable, "-m", "celery", "--app", "config", "worker", "--concurrency", "2", "--pool", "prefork"]
    command += ["--queues", ",".join(queues), *(["--beat", "--schedule", str(beat)] if beat else [])]
    worker = subprocess.Popen(
        [*command, "--loglevel", "WARNING", "--hostname", name, "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker_stop(worker)
            raise RuntimeError("the Celery worker did not start")
    return worker


def worker_stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _lag(change: Callable[[], object], shown: Callable[[], bool]) -> float | None:
    """Seconds from the change's commit until `shown()` holds; None if it never did within the timeout."""
    committed: list[float] = []
    with transaction.atomic():
        # Registered before the change's own callbacks, so this one runs first: the moment of the commit,
        # before the drain is even requested.
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        change()
    deadline = committed[0] + CHANGE_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        if shown():
            return time.perf_counter() - committed[0]
        time.sleep(POLL_SECONDS)
    return None


def _free_slots_to_change(fill: data.Fill, doctor_ids: list[int]) -> list[tuple[int, datetime]]:
    """Free slots of the first published week, taken doctor after doctor so the changes spread over all of them."""
    found = free_slots(employee_ids=doctor_ids, date_from=fill.monday, date_to=fill.monday + timedelta(days=4))
    per_doctor = [[(doctor_id, slot.starts_at) for slot in found[doctor_id]] for doctor_id in doctor_ids]
    picked = [slot for round_ in zip(*per_doctor, strict=False) for slot in round_]
    if len(picked) < CHANGES // 2:
        raise RuntimeError(f"only {len(picked)} free slots to change, {CHANGES // 2} needed")
    return picked[: CHANGES // 2]


def _book_then_cancel(
    reader: SandboxReader, doctor_id: int, starts_at: datetime, patient: Patient, actor: User
) -> tuple[float | None, float | None]:
    """Book a published free slot and wait until the sandbox stops offering it, then cancel the booking and wait
    until the sandbox offers it again: two changes, two lags."""
    day = timezone.localdate(starts_at)
    made: list[Appointment] = []

    def book() -> None:
        made.append(
            appointment_book(
                employee_id=doctor_id,
                starts_at=starts_at,
                patient=patient,
                source=AppointmentSource.CALENDAR,
                actor=actor,
            )
        )

    booking = _lag(book, lambda: starts_at not in reader.starts(doctor_id, day))
    cancellation = _lag(
        lambda: appointment_cancel(appointment=made[0], source=AppointmentSource.CALENDAR, actor=actor),
        lambda: starts_at in reader.starts(doctor_id, day),
    )
    return booking, cancellation


def _put_floor(doctor_id: int) -> float:
    """One PUT of the doctor's slots snapshot through the product's client: what each propagation must spend at
    least. Each run carries a newer version, so the sandbox applies it as it applies the worker's."""
    timings = []
    with connection_client(connection_get()) as client:
        for _ in range(FLOOR_RUNS + 1):
            document = builder_of(OutboxKind.SLOTS)(doctor_id, int(time.time() * 1_000_000))
            started = time.perf_counter()
            document.send(client)
            timings.append(time.perf_counter() - started)
    return statistics.median(timings[1:])  # the first one also fetches the token


def bench_propagation(fill: data.Fill) -> dict:
    with tempfile.TemporaryDirectory(prefix="poradnia-bench-osoz-") as folder:
        # The benchmark polls with the clinic's credentials; it must not eat the quota the worker publishes with.
        sandbox = sandbox_start(folder)
        worker = reader = None
        try:
            doctor_ids = doctors_published(fill, fill.employee_ids[:PUBLISHED_DOCTORS])
            worker = worker_start()
            connect(sandbox)
            wait(lambda: not outbox_pending().exists(), seconds=120, what="the first publication")
            reader = SandboxReader(sandbox.url)
            slots = _free_slots_to_change(fill, doctor_ids)
            if any(s not in reader.starts(d, timezone.localdate(s)) for d, s in slots[:5]):
                raise RuntimeError("the first publication did not reach the sandbox")
            patient = Patient.objects.get(pk=fill.patient_ids[-1])
            booked, cancelled = [], []
            for doctor_id, starts_at in slots:
                booking, cancellation = _book_then_cancel(reader, doctor_id, starts_at, patient, fill.receptionist)
                booked.append(booking)
                cancelled.append(cancellation)
            floor_seconds = _put_floor(doctor_ids[0])
        finally:
            if reader is not None:
                reader.close()
            if worker is not None:
                worker_stop(worker)
            sandbox.stop()
    lags = [lag for lag in booked + cancelled if lag is not None]
    lost = len(booked) + len(cancelled) - len(lags)
    p50, p95 = statistics.median(lags), statistics.quantiles(lags, n=20, method="inclusive")[18]
    return {
        "name": "OSOZ propagation lag, 200 changes",
        "seconds": p50,
        "p95_seconds": p95,
        "max_seconds": max(lags),
        "changes": len(booked) + len(cancelled),
        "not_shown": lost,
        "floor_seconds": floor_seconds,
        "ratio": p50 / floor_seconds,
        "target": f"p95 <= {TARGET_P95_SECONDS:g} s",
        "met": not lost and p95 <= TARGET_P95_SECONDS,
        "detail": (
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms over {len(lags)} "
            f"changes ({len(booked)} bookings, {len(cancelled)} cancellations, {PUBLISHED_DOCTORS} doctors, "
            f"poll {POLL_SECONDS * 1000:.0f} ms); {lost} not shown within {CHANGE_TIMEOUT_SECONDS} s; "
            "floor: one PUT of an 8-week slots snapshot"
        ),
    }
