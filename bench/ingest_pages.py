"""Benchmark 7: staff pages while 10,000 bookings are ingested from the OSOZ feed, on the embedded default (a SQLite
file, WAL) and on PostgreSQL side by side. Two receptionists, each with a signed-in session, request Kalendarz's day
view and the patient list from the product under uvicorn over and over while `feed.booking_events_pull` applies the
feed, as the worker would; every request saves the session (the idle timeout), so each waits for any write lock the
ingest holds. Latency max and p95 and the errors (5xx, "database is locked"); floor: the same pages with no ingest.

On SQLite the benchmark's own database is in memory, out of the server's reach, so that run is a child process
(`ingest_pages.main`) on a file database of its own, migrated and filled like the benchmark clinic."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from bench import data
from bench.osoz import connect, doctors_published, sandbox_start
from bench.osoz_bookings import INGEST_BOOKINGS, known_pesels, percentile_95, publish_all
from osoz_integration import feed
from osoz_integration.models import OutboxKind, OutboxMessage

DOCTORS = slice(40, 60)  # 20 doctors none of the other benchmarks publish
STAFF = 2
FLOOR_REQUESTS = 40
TARGET_MAX_SECONDS = 1.0
CHILD = "import django; django.setup(); from bench import ingest_pages; ingest_pages.main()"


def _server_env() -> dict[str, str]:
    """The product's server on this process's database, with the keys that open what this process stored."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "SECRETS_ENCRYPTION_KEYS": ",".join(settings.SECRETS_ENCRYPTION_KEYS),
    }
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = data.database_url()
    return env


class _Staff:
    """Receptionists requesting the pages in turn until stopped; each request's latency and the failures."""

    def __init__(self, base: str, cookies: dict[str, str], paths: list[str]):
        self.base, self.cookies, self.paths = base, cookies, paths
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(STAFF)]

    def request(self, http: httpx.Client, path: str) -> None:
        started = time.perf_counter()
        try:
            response = http.get(path)
        except httpx.TransportError as error:
            self.errors.append(f"{path}: {error!r}")
            return
        self.latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or "database is locked" in response.text:
            self.errors.append(f"{path}: {response.status_code}")

    def _run(self, offset: int) -> None:
        with httpx.Client(base_url=self.base, cookies=self.cookies, timeout=60) as http:
            turn = offset
            while not self._stop.is_set():
                self.request(http, self.paths[turn % len(self.paths)])
                turn += 1

    def __enter__(self) -> "_Staff":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def _floor(base: str, cookies: dict[str, str], paths: list[str]) -> list[float]:
    staff = _Staff(base, cookies, paths)
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as http:
        for path in paths:
            staff.request(http, path)  # warm
        staff.latencies.clear()
        for turn in range(FLOOR_REQUESTS):
            staff.request(http, paths[turn % len(paths)])
    if staff.errors:
        raise RuntimeError(f"the staff pages failed with no ingest running: {staff.errors[:3]}")
    return staff.latencies


def bench_ingest_pages(fill: data.Fill) -> dict:
    """The benchmark on this process's database (PostgreSQL in `make bench`; the child's SQLite file otherwise)."""
    paths = [
        f"{reverse('scheduling:calendar')}?date={fill.busy_day.isoformat()}&view=day",
        reverse("patients:patient_list"),
    ]
    with tempfile.TemporaryDirectory(prefix="poradnia-bench-pages-") as folder:
        sandbox = sandbox_start(folder)
        # Nothing listens there: the product is "offline" while the patients book, so everything waits in the feed.
        settings.OSOZ_CALLBACK_BASE_URL = f"http://127.0.0.1:{data.free_port()}"
        server = None
        try:
            doctors_published(fill, fill.employee_ids[DOCTORS], nfz=False)
            connect(sandbox)
            publish_all()
            pesels = known_pesels(fill, Path(folder))
            sandbox.manage(
                "sandbox_bookings_generate", "--count", str(INGEST_BOOKINGS), "--pesels", str(pesels), timeout=1800
            )
            server, base = data.server_start(_server_env())
            cookies = data.session_cookies(fill.receptionist)
            floor = _floor(base, cookies, paths)
            with _Staff(base, cookies, paths) as staff:
                started = time.perf_counter()
                pulled = feed.booking_events_pull()
                ingest_seconds = time.perf_counter() - started
        finally:
            OutboxMessage.objects.filter(kind=OutboxKind.BOOKING).delete()
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            sandbox.stop()
    during = staff.latencies
    worst, p95, floor_worst = max(during), percentile_95(during), max(floor)
    vendor = "SQLite file, WAL" if connection.vendor == "sqlite" else "PostgreSQL"
    return {
        "name": f"staff pages during ingest, {'SQLite' if connection.vendor == 'sqlite' else 'PostgreSQL'}",
        "seconds": worst,
        "p95_seconds": p95,
        "median_seconds": statistics.median(during),
        "floor_seconds": floor_worst,
        "floor_p95_seconds": percentile_95(floor),
        "ratio": worst / floor_worst,
        "requests": len(during),
        "errors": len(staff.errors),
        "error_examples": staff.errors[:5],
        "events": pulled.applied,
        "ingest_seconds": ingest_seconds,
        "target": f"max < {TARGET_MAX_SECONDS:g} s, no errors",
        "met": worst < TARGET_MAX_SECONDS and not staff.errors and pulled.applied == INGEST_BOOKINGS,
        "detail": (
            f"{vendor}: max {worst * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms over {len(during)} requests by {STAFF} "
            f"receptionists (day view of {fill.busy_day_appointments} visits, patient list), {len(staff.errors)} "
            f"errors, while {pulled.applied} events were applied in {ingest_seconds:.1f} s; floor: the same pages, no "
            f"ingest (max {floor_worst * 1000:.0f} ms, p95 {percentile_95(floor) * 1000:.0f} ms)"
        ),
    }


def bench_ingest_pages_sqlite() -> dict:
    """The benchmark on the embedded default: a child process on a SQLite file of its own (no DATABASE_URL, no
    REDIS_URL, as `make demo` runs), which prints its result."""
    with tempfile.TemporaryDirectory(prefix="poradnia-bench-sqlite-") as folder:
        env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
        done = subprocess.run(
            [sys.executable, "-c", CHILD],
            cwd=data.ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", "PORADNIA_VAR_DIR": folder},
            capture_output=True,
            text=True,
            timeout=3600,
        )
    if done.returncode:
        raise RuntimeError(f"the SQLite run of benchmark 7 failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """The child of `bench_ingest_pages_sqlite`: migrate and fill the SQLite file, run, print the result as JSON."""
    call_command("migrate", verbosity=0, interactive=False)
    fill = data.populate()
    print(json.dumps(bench_ingest_pages(fill), default=str))
