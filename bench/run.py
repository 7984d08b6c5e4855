"""`make bench`: Poradnia's speed, each figure beside a floor measured in the same run on the same data.

1. Free slots for 100 doctors x 8 weeks (~128k slots, 30 % booked) through `scheduling.selectors.free_slots`;
   floor: one raw SQL fetch of the same schedule blocks and appointments.
2. The calendar day view for 50 doctors and ~1,500 appointments: server time (Django test client, in-process) and
   query count; floor: one raw SQL fetch of that day's appointments with patient names.
3. 50 concurrent booking attempts on one slot through real HTTP against uvicorn on PostgreSQL (exactly one may
   succeed, the rest must be 409, none 5xx), 50 more staggered every 3 minutes over one doctor's slots (none 5xx),
   and bookings/s on distinct slots; floor: requests/s of /healthz.
4. Propagation lag to OSOZ: 200 local bookings and cancellations, each timed from its commit until the sandbox
   (its own process) shows it, drained by a real Celery worker on Redis; floor: one PUT of a doctor's slots snapshot
   through the product's client (bench/osoz.py).
5. Ingestion of 10,000 bookings made on the sandbox while the product was offline, from the booking events feed:
   events applied per second, duplicates, and a rerun from the start of the feed that must change nothing; floor:
   reading the same pages without applying them (bench/osoz_bookings.py).
6. Lag of 200 bookings made through the sandbox's booking form until they are in the product's calendar (uvicorn,
   real worker on Redis): through the synchronous approval, and 100 more through the signed nudge and the worker's
   pull; floor: the booking form answering an invalid submit.
7. Staff pages (Kalendarz's day view, the patient list) requested by two receptionists through uvicorn while 10,000
   bookings are ingested from the feed as in 5: max and p95 latency and errors, on the embedded default (a SQLite
   file, in a child process) and on PostgreSQL; floor: the same pages with no ingest (bench/ingest_pages.py).
8. A burst of 2,000 cancellations through the API, then a patient's cancellation on the sandbox's site until it is in
   the calendar, then OSOZ down until the product notices and until the administrators are told (uvicorn, the
   publication worker with beat and the live queue's worker on Redis); floor: the same cancellation on a quiet system
   (bench/burst.py).
9. The payers' price lists: one general price changed, then 1,000 at once, each flowing into every copy in 20 payer
   lists of 2,000 overridden services and marking the lists, with a constant number of queries; floor: one raw
   UPDATE of the same copies (bench/payers.py).
10. A payer's price list of 5,000 services exported to .xlsx: time and peak memory; floor: one raw fetch of the same
    rows (bench/payers.py).
11. The 20 payers' lists of 2,000 services sent to OSOZ, each step beside its floor: the document built, signed
    XAdES-BES, PUT to the sandbox (its own process), and the sandbox's verification of the same bytes (bench/payers.py).
12. Wykonaj telewizytę until the doctor sees the patient: 20 calls between two Chromium instances with fake cameras,
    through uvicorn and the Redis channel layer, timed until ICE is connected and until the first remote frame (p50,
    p95); floor: two peer connections in one page, without the product (bench/televisit.py).
13. Televisit signalling: 500 rooms (1,000 websockets) on one uvicorn process with the Redis channel layer, chat
    messages answered by the patient's side: round trip p50, p95, max and messages lost; floor: the same round trip
    in one room alone (bench/televisit.py).
14. The patient portal's timetable, one poradnia over four weeks, read by 100 patients at once, each looking at a week
    for a few seconds before the next: the server's own time per page (Server-Timing), p50 and p95; floor: /healthz
    under the same load (bench/portal.py).
15. 200 patients racing for 20 slots through the portal (hold, then "Potwierdź wizytę"): exactly 20 booked, the rest
    told the slot is taken, no 5xx; floor: as many requests of /healthz at once (bench/portal.py).

It builds a throw-away database (Django's test database machinery), prints a table and writes bench/results.json.
PostgreSQL comes from DATABASE_URL and Redis from REDIS_URL, each defaulting to the local server when it answers;
without PostgreSQL the first two run on SQLite and the others are skipped, without Redis the fourth is skipped.
The twelfth also needs Chromium (/usr/bin/chromium).
"""

import json
import os
import platform
import shutil
import socket
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The table is the output: no request-by-request log lines from this process, the servers or the worker.
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Benchmark 3 books a few hundred times within seconds as one receptionist, far past the API rate a person or a script
# of the clinic is allowed (API_RATE_STAFF); the servers it starts inherit this rate of its own.
os.environ.setdefault("API_RATE_STAFF", "100000/min")
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/poradnia"
# A Redis database of the benchmark's own, apart from the demo's (0) and the tests' (15).
LOCAL_REDIS = "redis://127.0.0.1:6379/14"


def local_server_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


# The machine's PostgreSQL and Redis when nothing else is said and they are there; SQLite and no Redis otherwise.
if "DATABASE_URL" not in os.environ and local_server_answers(5432):
    os.environ["DATABASE_URL"] = LOCAL_POSTGRES
if "REDIS_URL" not in os.environ and local_server_answers(6379):
    os.environ["REDIS_URL"] = LOCAL_REDIS

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench import data  # noqa: E402
from bench.burst import bench_burst  # noqa: E402
from bench.ingest_pages import bench_ingest_pages, bench_ingest_pages_sqlite  # noqa: E402
from bench.osoz import bench_propagation  # noqa: E402
from bench.osoz_bookings import bench_booking_lag, bench_ingest  # noqa: E402
from bench.payers import bench_payer_export, bench_price_flow, bench_pricelists_send  # noqa: E402
from bench.portal import bench_portal  # noqa: E402
from bench.televisit import CHROMIUM, bench_signalling, bench_televisit_call  # noqa: E402
from scheduling.selectors import free_slots, window_bounds  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
RUNS = 7


def median_seconds(action, runs: int = RUNS) -> float:
    action()  # warm caches and connections
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def epoch(column: str) -> str:
    """The same integer read of a timestamp as the engine's query (core.db.EpochSeconds)."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS bigint)"
    return f"CAST(strftime('%%s', {column}) AS integer)"


def bench_free_slots(fill: data.Fill) -> dict:
    employee_ids = fill.employee_ids[:100]
    date_to = fill.monday + timedelta(weeks=8) - timedelta(days=1)
    result = {}

    def engine():
        result["slots"] = free_slots(employee_ids=employee_ids, date_from=fill.monday, date_to=date_to)

    start, end = window_bounds(fill.monday, date_to)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.id, s.employee_id, s.valid_from, s.valid_to, b.weekday, b.start_time, b.end_time, "
                "b.visit_minutes FROM scheduling_scheduleblock b JOIN scheduling_schedule s ON s.id = b.schedule_id "
                f"WHERE s.employee_id IN ({','.join(map(str, employee_ids))})"
            )
            cursor.fetchall()
            cursor.execute(
                f"SELECT employee_id, {epoch('starts_at')}, {epoch('ends_at')} FROM scheduling_appointment "
                "WHERE status <> 'cancelled' AND starts_at < %s AND ends_at > %s "
                f"AND employee_id IN ({','.join(map(str, employee_ids))})",
                [end, start],
            )
            cursor.fetchall()

    seconds, floor_seconds = median_seconds(engine), median_seconds(floor)
    free = sum(len(slots) for slots in result["slots"].values())
    return {
        "name": "free slots, 100 doctors x 8 weeks",
        "seconds": seconds,
        "floor_seconds": floor_seconds,
        "ratio": seconds / floor_seconds,
        "target": "<= 0.5 s and <= 5x floor",
        "met": seconds <= 0.5 and seconds / floor_seconds <= 5,
        "detail": f"{fill.slots_total} slots, {fill.appointments_total} booked, {free} free",
    }


def bench_calendar_day(fill: data.Fill) -> dict:
    client = Client(HTTP_HOST="127.0.0.1")
    for name, value in data.session_cookies(fill.receptionist).items():
        client.cookies[name] = value
    day = fill.busy_day
    url = reverse("scheduling:calendar")
    params = {"date": day.isoformat(), "view": "day"}
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    seconds = median_seconds(lambda: client.get(url, params), runs=21)
    start, end = window_bounds(day, day)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id, a.employee_id, a.starts_at, a.ends_at, a.status, p.first_name, p.last_name "
                "FROM scheduling_appointment a JOIN patients_patient p ON p.id = a.patient_id "
                "WHERE a.starts_at < %s AND a.ends_at > %s",
                [end, start],
            )
            cursor.fetchall()

    floor_seconds = median_seconds(floor, runs=21)
    return {
        "name": "calendar day view, 50 doctors",
        "seconds": seconds,
        "floor_seconds": floor_seconds,
        "ratio": seconds / floor_seconds,
        "queries": len(queries),
        "target": "<= 0.150 s median; queries constant",
        "met": seconds <= 0.150,
        "detail": f"{fill.busy_day_appointments} appointments that day, {len(queries)} queries",
    }


def bench_concurrent_booking(fill: data.Fill) -> dict:
    server, base = data.server_start({**os.environ, "DATABASE_URL": data.database_url(), "DJANGO_DEBUG": "false"})
    try:
        cookies = data.session_cookies(fill.receptionist)
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as warm:
            csrf = warm.get("/").cookies[settings.CSRF_COOKIE_NAME]
        headers = {"X-CSRFToken": csrf, "Referer": base}
        cookies[settings.CSRF_COOKIE_NAME] = csrf

        def post(body):
            with httpx.Client(base_url=base, cookies=cookies, headers=headers, timeout=60) as http:
                return http.post("/api/v1/appointments/", json=body).status_code

        one_slot = data.race_slot(fill)
        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(pool.map(post, [one_slot | {"patient": p} for p in fill.patient_ids[:50]]))

        with ThreadPoolExecutor(max_workers=50) as pool:
            staggered = list(pool.map(post, data.staggered_slots(fill, count=50)))

        distinct = data.distinct_slots(fill, count=200)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            distinct_statuses = list(pool.map(post, distinct))
        bookings_per_second = len(distinct) / (time.perf_counter() - started)

        with httpx.Client(base_url=base, timeout=60) as http:
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda _: http.get("/healthz").status_code, range(400)))
            floor_per_second = 400 / (time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "name": "50 concurrent bookings of one slot",
        "successes": statuses.count(201),
        "conflicts": statuses.count(409),
        "server_errors": sum(1 for status in statuses + staggered if status >= 500),
        "staggered": {str(code): n for code, n in sorted(Counter(staggered).items())},
        "bookings_per_second": bookings_per_second,
        "distinct_created": distinct_statuses.count(201),
        "floor_requests_per_second": floor_per_second,
        "ratio": floor_per_second / bookings_per_second,
        "target": "exactly 1 x 201, 49 x 409, no 5xx",
        "met": statuses.count(201) == 1 and statuses.count(409) == 49 and all(status < 500 for status in staggered),
        "detail": f"{bookings_per_second:.0f} bookings/s on distinct slots vs {floor_per_second:.0f} req/s /healthz; "
        f"50 staggered (every 3 min): {', '.join(f'{n} x {code}' for code, n in sorted(Counter(staggered).items()))}",
    }


def table(results: list[dict]) -> str:
    lines = [f"{'benchmark':<38} {'result':>12} {'floor':>12} {'ratio':>7}  {'target':<34} met  detail"]
    for r in results:
        if "events_per_second" in r:
            result, floor = f"{r['events_per_second']:.0f} /s", f"{r['floor_events_per_second']:.0f} /s"
        elif "seconds" in r:
            result, floor = f"{r['seconds'] * 1000:.1f} ms", f"{r['floor_seconds'] * 1000:.1f} ms"
        else:
            result, floor = f"{r['bookings_per_second']:.0f} /s", f"{r['floor_requests_per_second']:.0f} /s"
        lines.append(
            f"{r['name']:<38} {result:>12} {floor:>12} {r['ratio']:>6.1f}x  {r['target']:<34} "
            f"{'yes' if r['met'] else 'NO ':<4} {r['detail']}"
        )
    return "\n".join(lines)


def main() -> None:
    postgres = connection.vendor == "postgresql"
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        fill = data.populate()
        results = [bench_free_slots(fill), bench_calendar_day(fill)]
        if postgres:
            results.append(bench_concurrent_booking(fill))
        else:
            print("Benchmark 3 needs PostgreSQL (set DATABASE_URL); skipped.")
        if postgres and settings.REDIS_URL:
            results.append(bench_propagation(fill))
        else:
            # The worker is a separate process on Redis, as in production; it cannot reach SQLite's in-memory test
            # database.
            print("Benchmark 4 needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL); skipped.")
        results.append(bench_ingest(fill))
        if postgres and settings.REDIS_URL:
            results.append(bench_booking_lag(fill))
        else:
            print("Benchmark 6 needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL); skipped.")
        results.append(bench_ingest_pages_sqlite())
        if postgres:
            results.append(bench_ingest_pages(fill))
        if postgres and settings.REDIS_URL:
            results.append(bench_burst(fill))
        else:
            print("Benchmark 8 needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL); skipped.")
        results += [bench_price_flow(fill), bench_payer_export(fill), *bench_pricelists_send(fill)]
        if postgres and settings.REDIS_URL and shutil.which(CHROMIUM):
            results.append(bench_televisit_call(fill))
        else:
            print(f"Benchmark 12 needs PostgreSQL, Redis and Chromium ({CHROMIUM}); skipped.")
        if postgres and settings.REDIS_URL:
            results.append(bench_signalling(fill))
        else:
            print("Benchmark 13 needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL); skipped.")
        if postgres:
            results += bench_portal(fill)
        else:
            print("Benchmarks 14 and 15 need PostgreSQL (set DATABASE_URL); skipped.")
    finally:
        teardown_databases(old_config, verbosity=0)
    report = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "database": connection.vendor,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "results": results,
    }
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(table(results))
    print(f"\n{report['machine']}, {report['database']}; written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
