"""Benchmarks 9 and 10, the payers' price lists (issue 16, benchmarks 1 and 2), on a general list of 5,000 services in
10 groups and 20 payers that each override the same 2,000 of them (40,000 copies: the worst case, every changed
service has a copy in every list).

9. Changing one general price through `payers.services.service_edit`, and 1,000 prices at once through
   `services_prices_set` (as an import would): each updates every copy and marks every list, in one transaction with
   a constant number of queries (counted for 1 and 10 and 1,000 services); floor: one raw UPDATE of the same copies.
10. The export of one payer's list (5,000 services, 2,000 of them overridden) to .xlsx: time and peak memory
    (tracemalloc); floor: one raw fetch of the same rows.

The clinic of bench.data is not needed here; the price list is built once with bulk inserts."""

import time
import tracemalloc
from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from bench.data import Fill
from payers import services
from payers.exports import payer_pricelist_workbook
from payers.models import Payer, PayerService, Service, ServiceGroup

SERVICES = 5_000
GROUPS = 10
PAYERS = 20
OVERRIDES = 2_000
BULK = 1_000
RUNS = 7


def _price_list() -> tuple[list[int], list[int]]:
    """The ids of the services (the overridden first) and of the payers, built on first use."""
    if not Service.objects.filter(name__startswith="Usługa benchmarkowa").exists():
        groups = ServiceGroup.objects.bulk_create(
            ServiceGroup(name=f"Grupa benchmarkowa {g:02d}", position=g) for g in range(GROUPS)
        )
        Service.objects.bulk_create(
            (
                Service(
                    group=groups[i % GROUPS],
                    name=f"Usługa benchmarkowa {i:05d}",
                    price=Decimal(100 + i % 400) + Decimal("0.50"),
                )
                for i in range(SERVICES)
            ),
            batch_size=2_000,
        )
        payers = Payer.objects.bulk_create(
            Payer(name=f"Płatnik benchmarkowy {p:02d}", osoz_id=f"BENCH{p:02d}", imported_from_osoz=True)
            for p in range(PAYERS)
        )
        overridden = list(Service.objects.filter(name__startswith="Usługa benchmarkowa").order_by("pk")[:OVERRIDES])
        PayerService.objects.bulk_create(
            (
                PayerService(payer=payer, service=service, name=service.name, price=service.price)
                for payer in payers
                for service in overridden
            ),
            batch_size=5_000,
        )
    service_ids = list(
        Service.objects.filter(name__startswith="Usługa benchmarkowa").order_by("pk").values_list("pk", flat=True)
    )
    payer_ids = list(Payer.objects.filter(osoz_id__startswith="BENCH").order_by("pk").values_list("pk", flat=True))
    return service_ids, payer_ids


def _median(action, runs: int = RUNS) -> float:
    action()  # warm caches and connections
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return sorted(timings)[len(timings) // 2]


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def bench_price_flow(fill: Fill) -> dict:
    service_ids, payer_ids = _price_list()
    one = Service.objects.select_related("group").get(pk=service_ids[0])
    alone = Service.objects.select_related("group").get(pk=service_ids[-1])  # in no payer's list
    many = service_ids[:BULK]
    bump = {"step": 0}

    def change_one(one=one):
        bump["step"] += 1
        service = Service.objects.select_related("group").get(pk=one.pk)
        services.service_edit(
            service=service,
            group=service.group,
            name=service.name,
            price=Decimal(200) + Decimal(bump["step"]) / 100,  # a new price every time
            active=True,
        )

    def change_many(ids=many):
        bump["step"] += 1
        services.services_prices_set(prices={pk: Decimal(300) + Decimal(bump["step"]) / 100 + pk % 7 for pk in ids})

    def floor_one():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE payers_payerservice SET price = price WHERE service_id = %s", [one.pk])

    def floor_many():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE payers_payerservice SET price = price WHERE service_id IN ({','.join(map(str, many))})"
            )

    one_seconds, one_floor = _median(change_one), _median(floor_one)
    alone_seconds = _median(lambda: change_one(alone))
    many_seconds, many_floor = _median(change_many), _median(floor_many)
    queries = {
        "one": _queries(change_one),
        "one without copies": _queries(lambda: change_one(alone)),
        "single": _queries(lambda: change_many(service_ids[:1])),
        "ten": _queries(lambda: change_many(service_ids[:10])),
        "thousand": _queries(change_many),
    }
    copies = PayerService.objects.filter(service_id__in=many).count()
    marked = Payer.objects.filter(pk__in=payer_ids, list_changed_at__isnull=False).count()
    followed = not PayerService.objects.filter(service_id__in=many).exclude(price=F("service__price")).exists()
    constant = queries["single"] == queries["ten"] == queries["thousand"] and (
        queries["one"] == queries["one without copies"]
    )
    ratio = many_seconds / many_floor
    # One price: the call's fixed cost (lock, validation, audit, commit) dwarfs a 20-row UPDATE, so the price of
    # the flow is shown as the difference from the same change of a service in no payer's list.
    return {
        "name": "price flow into 20 payer lists",
        "seconds": many_seconds,
        "floor_seconds": many_floor,
        "ratio": ratio,
        "queries": queries,
        "one_price_seconds": one_seconds,
        "one_price_floor_seconds": one_floor,
        "one_price_without_copies_seconds": alone_seconds,
        "target": "<= 3x floor; queries constant",
        "met": ratio <= 3 and constant and followed and marked == PAYERS,
        "detail": f"1,000 prices: {many_seconds * 1000:.0f} ms ({copies} copies; floor {many_floor * 1000:.0f} ms); "
        f"one price: {one_seconds * 1000:.1f} ms, {(one_seconds - alone_seconds) * 1000:.1f} ms more than for a "
        f"service in no list (floor {one_floor * 1000:.1f} ms); queries for 1 / 10 / 1,000 prices: "
        f"{queries['single']} / {queries['ten']} / {queries['thousand']}, for one price with 20 / no copies: "
        f"{queries['one']} / {queries['one without copies']}; {marked} lists marked; copies follow: "
        f"{'yes' if followed else 'NO'}",
    }


def bench_payer_export(fill: Fill) -> dict:
    _service_ids, payer_ids = _price_list()
    payer = Payer.objects.get(pk=payer_ids[0])
    result = {}

    def export():
        result["workbook"], result["count"], result["overridden"] = payer_pricelist_workbook(payer=payer)

    seconds = _median(export, runs=5)
    tracemalloc.start()
    export()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT g.name, s.id, s.name, c.id, c.price, c.active FROM payers_service s "
                "JOIN payers_servicegroup g ON g.id = s.group_id "
                "LEFT JOIN payers_payerservice c ON c.service_id = s.id AND c.payer_id = %s "
                "ORDER BY g.position, g.name, g.id, s.name, s.id",
                [payer.pk],
            )
            cursor.fetchall()

    floor_seconds = _median(floor, runs=5)
    return {
        "name": "payer price list to .xlsx, 5,000 services",
        "seconds": seconds,
        "floor_seconds": floor_seconds,
        "ratio": seconds / floor_seconds,
        "peak_memory_mb": peak / 2**20,
        "target": "<= 2 s",
        "met": seconds <= 2 and result["count"] >= SERVICES,
        "detail": f"{result['count']} services, {result['overridden']} overridden, "
        f"{len(result['workbook']) / 1024:.0f} KiB file, peak memory {peak / 2**20:.1f} MiB",
    }
