"""Benchmarks 5 and 6: bookings made on the OSOZ sandbox flowing back into the product.

5. Ingestion: 10,000 patients book on the sandbox while the product cannot be reached (every approval call and
   nudge fails), then the product catches up from the booking events feed (`feed.booking_events_pull`): events
   applied per second and duplicates; then the cursor and the received event ids are forgotten and the whole feed is
   pulled again, which must change nothing (idempotence). Floor: the same pages fetched and parsed, not applied.
6. Lag: patients book through the sandbox's booking form while the product is served by uvicorn with a real Celery
   worker on Redis; each booking is timed from the patient's submit until the appointment is in the product's
   calendar — through the synchronous approval call, and with the approval switched off, through the signed nudge
   and the worker's pull. Floor: the sandbox's booking form answering a refused booking (the same request without the
   booking).
"""

import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from bench import data
from bench.osoz import (
    SandboxReader,
    connect,
    doctors_published,
    product_env,
    sandbox_start,
    wait,
    worker_start,
    worker_stop,
)
from clinic.selectors import clinic_get
from devtools.sandbox import booking_form_path, csrf_token
from osoz_integration import feed
from osoz_integration.models import (
    Connection,
    InboundEvent,
    OsozBooking,
    OsozBookingState,
    OutboxKind,
    OutboxMessage,
)
from osoz_integration.outbox import outbox_drain
from osoz_integration.selectors import connection_client, connection_get, outbox_pending
from patients.models import Patient
from patients.pesel import pesel_make
from scheduling.models import Appointment, AppointmentSource

INGEST_DOCTORS = slice(10, 30)  # 20 doctors other than benchmark 4's, ~18,000 free slots in 8 weeks
INGEST_BOOKINGS = 10_000
TARGET_PER_SECOND = 500


def known_pesels(fill: data.Fill, folder: Path) -> Path:
    """The benchmark's patients get PESELs, so the first bookings match patients the clinic knows (OSZ-5)."""
    patients = list(Patient.objects.filter(pk__in=fill.patient_ids).only("pk", "birth_date", "sex"))
    for serial, patient in enumerate(patients):
        patient.pesel = pesel_make(birth_date=patient.birth_date, sex=patient.sex, serial=serial)
    Patient.objects.bulk_update(patients, ["pesel"], batch_size=1000)
    path = folder / "pesels.txt"
    path.write_text("\n".join(patient.pesel for patient in patients))
    return path


def publish_all(*, rounds: int = 3) -> None:
    """Everything the clinic publishes is on the sandbox before a benchmark starts. A row an earlier benchmark's load
    left waiting out a transient failure is made due again; one still pending after that names itself."""
    for _round in range(rounds):
        OutboxMessage.objects.filter(next_attempt_at__gt=timezone.now()).update(next_attempt_at=timezone.now())
        while outbox_drain().sent:
            pass
        if not outbox_pending().exists():
            return
    waiting = "; ".join(f"{row.key}: {row.last_error[:200] or 'no error'}" for row in outbox_pending()[:5])
    raise RuntimeError(f"the publication did not reach the sandbox ({waiting})")


def _feed_read_seconds() -> tuple[float, int]:
    """The floor: every page of the feed fetched and parsed by the product's client, nothing applied."""
    started, events, cursor = time.perf_counter(), 0, ""
    with connection_client(connection_get()) as client:
        while True:
            page = client.booking_events_list(after=cursor, limit=feed.PAGE_LIMIT)
            events += len(page.events)
            cursor = page.next_cursor
            if not page.has_more:
                return time.perf_counter() - started, events


def _duplicates() -> int:
    """Appointments made twice for one booking or one slot."""
    doubled_slots = (
        Appointment.objects.filter(source=AppointmentSource.OSOZ)
        .values("employee_id", "starts_at")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    return doubled_slots + OsozBooking.objects.count() - OsozBooking.objects.values("booking_id").distinct().count()


def bench_ingest(fill: data.Fill) -> dict:
    with tempfile.TemporaryDirectory(prefix="poradnia-bench-ingest-") as folder:
        sandbox = sandbox_start(folder)
        # Nothing listens there: the product is "offline" while the patients book, so everything waits in the feed.
        settings.OSOZ_CALLBACK_BASE_URL = f"http://127.0.0.1:{data.free_port()}"
        try:
            doctors_published(fill, fill.employee_ids[INGEST_DOCTORS], nfz=False)
            connect(sandbox)
            publish_all()
            pesels = known_pesels(fill, Path(folder))
            started = time.perf_counter()
            sandbox.manage(
                "sandbox_bookings_generate", "--count", str(INGEST_BOOKINGS), "--pesels", str(pesels), timeout=1800
            )
            booking_seconds = time.perf_counter() - started
            floor_seconds, feed_events = _feed_read_seconds()
            appointments_before = Appointment.objects.count()

            started = time.perf_counter()
            first = feed.booking_events_pull()
            seconds = time.perf_counter() - started
            accepted = OsozBooking.objects.filter(state=OsozBookingState.ACCEPTED).count()
            created = Appointment.objects.count() - appointments_before

            Connection.objects.update(booking_cursor="")
            InboundEvent.objects.all().delete()
            started = time.perf_counter()
            again = feed.booking_events_pull()
            again_seconds = time.perf_counter() - started
            created_again = Appointment.objects.count() - appointments_before - created
            duplicates = _duplicates()
        finally:
            # The accepts still waiting for this sandbox would go to the next benchmark's.
            OutboxMessage.objects.filter(kind=OutboxKind.BOOKING).delete()
            sandbox.stop()
    per_second, floor_per_second = first.applied / seconds, feed_events / floor_seconds
    return {
        "name": "OSOZ bookings ingested from the feed",
        "events_per_second": per_second,
        "seconds": seconds,
        "events": first.applied,
        "accepted": accepted,
        "appointments": created,
        "duplicates": duplicates,
        "repeat_applied_appointments": created_again,
        "repeat_seconds": again_seconds,
        "floor_events_per_second": floor_per_second,
        "ratio": floor_per_second / per_second,
        "target": f">= {TARGET_PER_SECOND}/s, 0 duplicates, rerun changes nothing",
        "met": (
            first.applied == INGEST_BOOKINGS
            and per_second >= TARGET_PER_SECOND
            and duplicates == 0
            and created_again == 0
            and again.applied == INGEST_BOOKINGS
            and not first.failed
        ),
        "detail": (
            f"{first.applied} events in {seconds:.1f} s ({accepted} accepted, {created} appointments, "
            f"{first.pages} pages), {duplicates} duplicates; rerun from the start of the feed: {again.applied} events "
            f"in {again_seconds:.1f} s, {created_again} new appointments; the bookings took {booking_seconds:.0f} s "
            f"to make on the sandbox; floor: reading the {feed_events} events without applying them"
        ),
    }


LAG_DOCTORS = slice(30, 40)
LAG_APPROVAL_BOOKINGS = 200
LAG_FEED_BOOKINGS = 100
LAG_TIMEOUT_SECONDS = 15
POLL_SECONDS = 0.01
TARGET_P95_SECONDS = 2.0


class PatientBrowser:
    """A patient on the sandbox's booking form, as a browser submits it."""

    def __init__(self, sandbox_url: str, entity_id: str):
        self.http = httpx.Client(base_url=sandbox_url, timeout=30)
        self.entity_id = entity_id

    def form(self, doctor_id: int, schedule_id: str, starts_at: datetime) -> tuple[str, str]:
        path = booking_form_path(
            entity_id=self.entity_id, doctor_id=doctor_id, schedule_id=schedule_id, starts_at=starts_at
        )
        page = self.http.get(path)
        page.raise_for_status()
        return path, csrf_token(page.text)

    def submit(self, path: str, csrf: str, fields: dict[str, str]) -> httpx.Response:
        return self.http.post(
            path, data={**fields, "csrfmiddlewaretoken": csrf}, headers={"Referer": str(self.http.base_url) + path}
        )

    def close(self) -> None:
        self.http.close()


def patient_fields(number: int) -> dict[str, str]:
    pesel = pesel_make(birth_date=date(1990, 1, 1) + timedelta(days=number), sex="K", serial=number % 1000)
    return {
        "first_name": "Maria",
        "last_name": f"Opóźnienie{number:04d}",
        "email": f"maria.{number}@example.com",
        "phone": "601234567",
        "pesel": pesel,
        "kind": "visit",
    }


def _booking_lags(
    patient: PatientBrowser, reader: SandboxReader, doctor_ids: list[int], days: list[date], count: int, first: int
) -> tuple[list[float], list[float]]:
    """Book `count` free slots through the form; each lag runs from the submit until the appointment is in the
    product's database (what the calendar shows). Also the form's answer to an invalid submit, as the floor."""
    lags, floors = [], []
    for doctor_id, day in ((d, day) for day in days for d in doctor_ids):
        for schedule_id, starts_at in reader.slots(doctor_id, day):
            if len(lags) == count:
                return lags, floors
            path, csrf = patient.form(doctor_id, schedule_id, starts_at)
            fields = patient_fields(first + len(lags))
            started = time.perf_counter()
            patient.submit(path, csrf, {**fields, "pesel": "1"})
            floors.append(time.perf_counter() - started)
            booked = Appointment.objects.filter(
                employee_id=doctor_id, starts_at=starts_at, source=AppointmentSource.OSOZ
            )
            started = time.perf_counter()
            answer = patient.submit(path, csrf, fields)
            if answer.status_code != 302:
                raise RuntimeError(f"the sandbox refused a booking: {answer.status_code}")
            while not booked.exists():
                if time.perf_counter() - started > LAG_TIMEOUT_SECONDS:
                    raise RuntimeError(f"a booking did not reach the calendar within {LAG_TIMEOUT_SECONDS} s")
                time.sleep(POLL_SECONDS)
            lags.append(time.perf_counter() - started)
    raise RuntimeError(f"only {len(lags)} free slots to book, {count} needed")


def bench_booking_lag(fill: data.Fill) -> dict:
    with tempfile.TemporaryDirectory(prefix="poradnia-bench-lag-") as folder:
        sandbox = sandbox_start(folder)
        server = worker = reader = patient = None
        try:
            server, url = data.server_start(product_env())
            settings.OSOZ_CALLBACK_BASE_URL = url
            doctor_ids = doctors_published(fill, fill.employee_ids[LAG_DOCTORS], nfz=False)
            worker = worker_start()
            connect(sandbox)
            wait(lambda: not outbox_pending().exists(), seconds=120, what="the first publication")
            reader = SandboxReader(sandbox.url)
            patient = PatientBrowser(sandbox.url, clinic_get().osoz_entity_id)
            days = [
                fill.monday + timedelta(days=offset)
                for offset in range(7, 7 * data.WEEKS)
                if (fill.monday + timedelta(days=offset)).weekday() < 5
            ]
            approval, floors = _booking_lags(patient, reader, doctor_ids, days, LAG_APPROVAL_BOOKINGS, 0)
            # OSOZ without the synchronous approval: the booking arrives by the signed nudge and the worker's pull.
            sandbox.manage(
                "shell", "-c", "from osoz_sandbox.models import Entity; Entity.objects.update(booking_approval_url='')"
            )
            nudged, _ = _booking_lags(
                patient, reader, doctor_ids, list(reversed(days)), LAG_FEED_BOOKINGS, LAG_APPROVAL_BOOKINGS
            )
            # The last bookings' acceptances reach this sandbox before it goes: measured is their arrival in the
            # calendar, and news left waiting would be sent to the next benchmark's sandbox, which never had them.
            wait(lambda: not outbox_pending().exists(), seconds=120, what="the last bookings' news to OSOZ")
        finally:
            for closable in (patient, reader):
                if closable is not None:
                    closable.close()
            for process in (worker, server):
                if process is not None:
                    worker_stop(process)
            sandbox.stop()
    p50, p95 = statistics.median(approval), percentile_95(approval)
    feed_p50, feed_p95 = statistics.median(nudged), percentile_95(nudged)
    floor = statistics.median(floors)
    return {
        "name": "OSOZ booking → product calendar lag",
        "seconds": p50,
        "p95_seconds": p95,
        "feed_p50_seconds": feed_p50,
        "feed_p95_seconds": feed_p95,
        "floor_seconds": floor,
        "ratio": p50 / floor,
        "target": f"p95 <= {TARGET_P95_SECONDS:g} s",
        "met": p95 <= TARGET_P95_SECONDS and feed_p95 <= TARGET_P95_SECONDS,
        "detail": (
            f"approval path: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(approval) * 1000:.0f} ms over "
            f"{len(approval)} bookings; nudge + worker pull: p50 {feed_p50 * 1000:.0f} ms, "
            f"p95 {feed_p95 * 1000:.0f} ms over {len(nudged)}; floor: the booking form answering an invalid submit"
        ),
    }


def percentile_95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]
