"""Benchmark 7: the integration stays live through a burst. 2,000 cancellations go through the API as fast as eight
clients can send them; at once a patient cancels an online booking on the sandbox's site (LBK) and the time until the
appointment is cancelled in the product's calendar is taken; then OSOZ goes down (the sandbox's fault switch) and the
times until the product notices and until the administrators' notice (threshold 1 min) are taken. As in production:
uvicorn, a publication worker with the beat and a worker of the live queue (config/celery.py), on Redis. The drain
messages waiting in the broker are sampled through the burst. Floor: the same patient cancellation on a quiet system.
"""

import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.utils import timezone

from bench import data
from bench.osoz import connect, doctors_published, product_env, sandbox_start, wait, worker_start, worker_stop
from bench.osoz_bookings import PatientBrowser, SandboxReader, patient_fields
from clinic.selectors import clinic_get
from config.celery import LIVE_QUEUE, app
from devtools.sandbox import csrf_token
from osoz_integration import monitor
from osoz_integration.models import Connection
from osoz_integration.selectors import outbox_pending
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus

BURST = 2_000
BURST_DOCTORS = slice(60, 70)  # 10 doctors none of the other benchmarks publish, ~3,800 booked visits in 8 weeks
QUIET_CANCELLATIONS = 5
ALERT_MINUTES = 1
MONITOR_SECONDS = 60.0  # the beat's connection monitor (config/celery.py)
TARGET_CANCELLATION_SECONDS = 5.0
# Noticed: the live queue's pull fails within the pull interval, its retries and the request timeout.
TARGET_NOTICED_SECONDS = settings.OSOZ_BOOKING_PULL_SECONDS + 15
TARGET_ALERT_SECONDS = ALERT_MINUTES * 60 + MONITOR_SECONDS + 10
POLL_SECONDS = 0.02


class QueueSampler(threading.Thread):
    """The messages waiting in each queue of the broker, sampled until stopped; keeps the largest counts."""

    def __init__(self, queues: tuple[str, ...]):
        super().__init__(daemon=True)
        self.queues = queues
        self.largest = dict.fromkeys(queues, 0)
        self.stopped = threading.Event()

    def run(self) -> None:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            while not self.stopped.is_set():
                for queue in self.queues:
                    count = channel.queue_declare(queue).message_count
                    self.largest[queue] = max(self.largest[queue], count)
                time.sleep(0.05)

    def stop(self) -> dict[str, int]:
        self.stopped.set()
        self.join()
        return self.largest


def _patient_books(patient: PatientBrowser, reader: SandboxReader, doctor_id: int, day, number: int):
    """A patient books the doctor's first free slot that day on the sandbox's form; once it is an appointment in the
    product, returns the page the confirmation e-mail links to and the appointment."""
    schedule_id, starts_at = reader.slots(doctor_id, day)[0]
    path, csrf = patient.form(doctor_id, schedule_id, starts_at)
    answer = patient.submit(path, csrf, patient_fields(500 + number))
    if answer.status_code != 302:
        raise RuntimeError(f"the sandbox refused a booking: {answer.status_code}")
    booked = Appointment.objects.filter(employee_id=doctor_id, starts_at=starts_at, source=AppointmentSource.OSOZ)
    wait(booked.exists, seconds=15, what="the patient's booking reaching the calendar")
    return answer.headers["Location"], booked.get()


def _patient_cancels(sandbox_url: str, link: str, appointment: Appointment) -> float:
    """The patient cancels on that page; seconds from the sandbox's answer until the product's calendar shows the visit
    cancelled (the nudge, the live worker's pull)."""
    with httpx.Client(base_url=sandbox_url, timeout=30, follow_redirects=True) as http:
        page = http.get(link)
        page.raise_for_status()
        answer = http.post(
            link,
            data={"csrfmiddlewaretoken": csrf_token(page.text), "reason": "Nie mogę przyjść."},
            headers={"Referer": sandbox_url + link},
        )
    answered = time.perf_counter()
    if "Wizyta odwołana" not in answer.text:
        raise RuntimeError(f"the sandbox did not cancel the booking: {answer.status_code}")
    cancelled = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.CANCELLED)
    while not cancelled.exists():
        if time.perf_counter() - answered > 120:
            raise RuntimeError("the patient's cancellation did not reach the calendar within 120 s")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - answered


def _api_cancels(base: str, fill: data.Fill, appointment_ids: list[int]) -> float:
    """Cancel the appointments through the API as the receptionist, eight clients at once; returns the seconds taken."""
    cookies = data.session_cookies(fill.receptionist)
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as warm:
        csrf = warm.get("/").cookies[settings.CSRF_COOKIE_NAME]
    cookies[settings.CSRF_COOKIE_NAME] = csrf
    local = threading.local()

    def cancel(pk: int) -> int:
        if not hasattr(local, "http"):
            local.http = httpx.Client(
                base_url=base, cookies=cookies, headers={"X-CSRFToken": csrf, "Referer": base}, timeout=60
            )
        return local.http.post(f"/api/v1/appointments/{pk}/cancel/", json={"reason": "Burza zmian"}).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(cancel, appointment_ids))
    seconds = time.perf_counter() - started
    if statuses.count(200) != len(appointment_ids):
        raise RuntimeError(f"cancellations through the API failed: {sorted(set(statuses))}")
    return seconds


def _outage(sandbox_url: str) -> tuple[float, float]:
    """OSOZ goes down: seconds until the product notices (Stan integracji shows the outage) and until the
    administrators are told; then it is back."""
    monitor.outage_alert_minutes_set(minutes=ALERT_MINUTES)
    connection = Connection.objects.filter(pk=Connection.SINGLETON_ID)
    httpx.post(f"{sandbox_url}/awarie.json", json={"down": True}, timeout=10).raise_for_status()
    started = time.perf_counter()
    wait(lambda: connection.filter(outage_since__isnull=False).exists(), seconds=120, what="noticing the outage")
    noticed = time.perf_counter() - started
    wait(lambda: connection.filter(outage_alerted_at__isnull=False).exists(), seconds=300, what="the outage notice")
    alerted = time.perf_counter() - started
    httpx.post(f"{sandbox_url}/awarie.json", json={"down": False}, timeout=10).raise_for_status()
    wait(lambda: connection.filter(outage_since__isnull=True).exists(), seconds=120, what="the end of the outage")
    return noticed, alerted


def bench_burst(fill: data.Fill) -> dict:
    with tempfile.TemporaryDirectory(prefix="poradnia-bench-burst-") as folder:
        sandbox = sandbox_start(folder)
        server = publication = live = reader = patient = None
        try:
            server, url = data.server_start(product_env())
            settings.OSOZ_CALLBACK_BASE_URL = url
            doctor_ids = doctors_published(fill, fill.employee_ids[BURST_DOCTORS], nfz=False)
            publication = worker_start(queues=("celery",), beat=Path(folder) / "celerybeat-schedule")
            live = worker_start(queues=(LIVE_QUEUE,))
            connect(sandbox)
            wait(lambda: not outbox_pending().exists(), seconds=120, what="the first publication")
            reader = SandboxReader(sandbox.url)
            patient = PatientBrowser(sandbox.url, clinic_get().osoz_entity_id)
            days = [timezone.localdate() + timedelta(days=n) for n in range(2, 30)]
            days = [day for day in days if day.weekday() < 5]
            quiet = [
                _patient_cancels(sandbox.url, *_patient_books(patient, reader, doctor_ids[0], day, n))
                for n, day in enumerate(days[:QUIET_CANCELLATIONS])
            ]
            link, appointment = _patient_books(patient, reader, doctor_ids[1], days[0], QUIET_CANCELLATIONS)
            to_cancel = list(
                Appointment.objects.filter(
                    employee_id__in=doctor_ids,
                    source=AppointmentSource.CALENDAR,
                    status=AppointmentStatus.BOOKED,
                    starts_at__gt=timezone.now() + timedelta(days=1),
                )
                .order_by("starts_at")
                .values_list("pk", flat=True)[:BURST]
            )
            if len(to_cancel) < BURST:
                raise RuntimeError(f"only {len(to_cancel)} visits to cancel, {BURST} needed")
            sampler = QueueSampler(("celery", LIVE_QUEUE))
            sampler.start()
            burst_seconds = _api_cancels(url, fill, to_cancel)
            cancellation = _patient_cancels(sandbox.url, link, appointment)
            waiting = sampler.stop()
            noticed, alerted = _outage(sandbox.url)
            wait(lambda: not outbox_pending().exists(), seconds=300, what="the backlog drained after the outage")
        finally:
            for closable in (patient, reader):
                if closable is not None:
                    closable.close()
            for process in (live, publication, server):
                if process is not None:
                    worker_stop(process)
            sandbox.stop()
    floor = statistics.median(quiet)
    return {
        "name": "OSOZ after a 2,000-change burst",
        "seconds": cancellation,
        "floor_seconds": floor,
        "ratio": cancellation / floor,
        "noticed_seconds": noticed,
        "alerted_seconds": alerted,
        "burst_seconds": burst_seconds,
        "largest_queues": waiting,
        "target": f"cancel <= {TARGET_CANCELLATION_SECONDS:g} s; outage on time",
        "met": cancellation <= TARGET_CANCELLATION_SECONDS
        and noticed <= TARGET_NOTICED_SECONDS
        and alerted <= TARGET_ALERT_SECONDS,
        "detail": (
            f"{BURST} API cancellations in {burst_seconds:.0f} s, then a patient's LBK cancellation in the calendar "
            f"after {cancellation * 1000:.0f} ms (quiet: {floor * 1000:.0f} ms); drain messages waiting at most "
            f"{waiting['celery']}, live queue {waiting[LIVE_QUEUE]}; OSOZ down: noticed after {noticed:.0f} s "
            f"(<= {TARGET_NOTICED_SECONDS} s), administrators told after {alerted:.0f} s (threshold "
            f"{ALERT_MINUTES} min, <= {TARGET_ALERT_SECONDS:.0f} s)"
        ),
    }
