"""Benchmarks 9 and 10, the payers' price lists (issue 16, benchmarks 1 and 2), on a general list of 5,000 services in
10 groups and 20 payers that each override the same 2,000 of them (40,000 copies: the worst case, every changed
service has a copy in every list).

9. Changing one general price through `payers.services.service_edit`, and 1,000 prices at once through
   `services_prices_set` (as an import would): each updates every copy and marks every list, in one transaction with
   a constant number of queries (counted for 1 and 10 and 1,000 services); floor: one raw UPDATE of the same copies.
   Beside it, for one price, the least the call must do in raw SQL: the lock, the writes, the audit row, the commit.
10. The export of one payer's list (5,000 services, 2,000 of them overridden) to .xlsx: time and peak memory
    (tracemalloc); floor: one raw fetch of the same rows.
11. „Wyślij cenniki do OSOZ” with all 20 lists (issue 16, benchmark 3), each step timed apart: the document built and
    serialised (floor: the same rows by one raw query, written with lxml without the product's checks), signed
    XAdES-BES with an RSA-2048 test qualified certificate (floor: parse, C14N, SHA-256 and one RSA signature),
    PUT through the product's client to a sandbox process that verifies and keeps it (floor: the same body refused
    415 by the same endpoint after authentication), and the sandbox's verification in this process on the same
    bytes (floor: parse, C14N, SHA-256 and one RSA verification).

The clinic of bench.data is not needed here; the price list is built once with bulk inserts."""

import hashlib
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from bench.data import Fill
from bench.osoz import SandboxReader, connect, sandbox_start
from clinic.selectors import clinic_get
from core.time import warsaw
from devtools.test_pki import pki_build
from osoz_integration.selectors import connection_client, connection_get
from osoz_sandbox.signatures import price_lists_verify
from payers import services
from payers.exports import payer_pricelist_workbook
from payers.models import Payer, PayerService, Service, ServiceGroup
from payers.pricelist_xml import NAMESPACE, pricelist_document_xml
from payers.sending import pricelist_document_build
from payers.signing import Pkcs12Signer

SERVICES = 5_000
GROUPS = 10
PAYERS = 20
OVERRIDES = 2_000
BULK = 1_000
RUNS = 7
# Benchmark 11: each send needs a document of its own (the sandbox answers a document it holds without keeping it
# again), so every run builds, signs and sends one; the first of each step is the warm-up.
SEND_RUNS = 5
XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"


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

    def floor_one_work():
        # What one price must do at the least, in raw SQL without the ORM or a check: lock the service, write it and
        # its copies, mark the lists, add the audit row, commit. Shown beside the floor, not instead of it.
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT price FROM payers_service WHERE id = %s{lock}", [one.pk])
            cursor.execute("UPDATE payers_service SET price = price WHERE id = %s", [one.pk])
            cursor.execute("UPDATE payers_payerservice SET price = price WHERE service_id = %s", [one.pk])
            cursor.execute(
                "UPDATE payers_payer SET list_changed_at = %s "
                "WHERE id IN (SELECT payer_id FROM payers_payerservice WHERE service_id = %s)",
                [timezone.now(), one.pk],
            )
            cursor.execute(
                "INSERT INTO core_auditevent (occurred_at, actor_label, category, action, message, object_type, "
                "object_id, object_repr, outcome) VALUES (%s, 'System', 'configuration', 'service_changed', "
                "'benchmark', 'payers.service', %s, '', 'success')",
                [timezone.now(), str(one.pk)],
            )

    def floor_many():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE payers_payerservice SET price = price WHERE service_id IN ({','.join(map(str, many))})"
            )

    one_seconds, one_floor, one_work = _median(change_one), _median(floor_one), _median(floor_one_work)
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
    # the flow is shown as the difference from the same change of a service in no payer's list, and the least the
    # call must do (floor_one_work) beside the floor.
    return {
        "name": "price flow into 20 payer lists",
        "seconds": many_seconds,
        "floor_seconds": many_floor,
        "ratio": ratio,
        "queries": queries,
        "one_price_seconds": one_seconds,
        "one_price_floor_seconds": one_floor,
        "one_price_without_copies_seconds": alone_seconds,
        "one_price_work_floor_seconds": one_work,
        "target": "<= 3x floor; queries constant",
        "met": ratio <= 3 and constant and followed and marked == PAYERS,
        "detail": f"1,000 prices: {many_seconds * 1000:.0f} ms ({copies} copies; floor {many_floor * 1000:.0f} ms); "
        f"one price: {one_seconds * 1000:.1f} ms, {(one_seconds - alone_seconds) * 1000:.1f} ms more than for a "
        f"service in no list (floor {one_floor * 1000:.1f} ms, {one_seconds / one_floor:.1f}x; its lock, writes, "
        f"audit row and commit in raw SQL {one_work * 1000:.1f} ms); queries for 1 / 10 / 1,000 prices: "
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


def _each_timed(action: Callable, items: list) -> tuple[float, list]:
    """action(item) for every item, the first call a warm-up: the median seconds of the others and every result."""
    results, timings = [], []
    for item in items:
        started = time.perf_counter()
        results.append(action(item))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings[1:]), results


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _c14n_digest(root: etree._Element) -> bytes:
    return hashlib.sha256(etree.tostring(root, method="c14n")).digest()


def _document_floor(*, entity_id: str, now: datetime) -> bytes:
    """The document's rows by one raw query in its order, written with lxml: no ORM, no dataclasses, no checks."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.osoz_id, p.nip, p.name, g.id, g.name, c.id, c.service_id, c.name, c.price "
            "FROM payers_payer p JOIN payers_payerservice c ON c.payer_id = p.id AND c.active "
            "JOIN payers_service s ON s.id = c.service_id JOIN payers_servicegroup g ON g.id = s.group_id "
            "WHERE p.osoz_id <> '' AND p.removed_on_osoz_at IS NULL "
            "ORDER BY p.name, p.id, g.position, g.name, g.id, c.name"
        )
        rows = cursor.fetchall()
    root = etree.Element(f"{{{NAMESPACE}}}PriceLists", nsmap={None: NAMESPACE})
    root.set("Id", "pricelists-floor")
    root.set("entity_id", entity_id)
    root.set("currency", "PLN")
    root.set("created_at", warsaw(now).isoformat(timespec="seconds"))
    payer_node = group_node = last_payer = last_group = None
    for payer_id, osoz_id, nip, payer_name, group_id, group_name, copy_id, service_id, name, price in rows:
        if payer_id != last_payer:
            payer_node = etree.SubElement(root, f"{{{NAMESPACE}}}Payer", id=str(payer_id), osoz_id=osoz_id)
            if nip:
                payer_node.set("nip", nip)
            payer_node.set("name", payer_name)
            last_payer, last_group = payer_id, None
        if group_id != last_group:
            group_node = etree.SubElement(payer_node, f"{{{NAMESPACE}}}Group", id=str(group_id), name=group_name)
            last_group = group_id
        etree.SubElement(
            group_node,
            f"{{{NAMESPACE}}}Service",
            id=str(copy_id),
            base_service_id=str(service_id),
            name=name,
            price=f"{price:.2f}",
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _step(name: str, seconds: float, floor_seconds: float, *, met: bool, detail: str, **figures) -> dict:
    return {
        "name": f"price lists 20x2,000: {name}",
        "seconds": seconds,
        "floor_seconds": floor_seconds,
        "ratio": seconds / floor_seconds,
        **figures,
        "target": "none; times reported (issue 16)",
        "met": met,
        "detail": detail,
    }


def bench_pricelists_send(fill: Fill) -> list[dict]:
    """Benchmark 11: one row per step, each beside its own floor."""
    _price_list()
    now = timezone.now()
    # Around the real clock: the sandbox, another process, checks the certificate at the signing time. RSA, as most
    # Polish qualified certificates are (test_pki's default EC key would flatter the signature and its check).
    pki = pki_build(
        seed="bench", key_type="rsa", valid_from=now - timedelta(days=30), valid_to=now + timedelta(days=335)
    )
    key = pki.signer_key
    with tempfile.TemporaryDirectory(prefix="poradnia-bench-pricelists-") as folder:
        sandbox = sandbox_start(folder)
        reader = None
        try:
            connect(sandbox)
            (Path(folder) / "osoz_sandbox_trusted_roots.pem").write_bytes(pki.root_pem)
            entity_id = clinic_get().osoz_entity_id
            runs = range(SEND_RUNS + 1)

            # 1. Build: the two queries, the checked dataclasses, the bytes (their share timed apart as well).
            serialised = []

            def build(_run) -> tuple:
                document = pricelist_document_build(entity_id=entity_id, now=timezone.now())
                started = time.perf_counter()
                document_xml = pricelist_document_xml(document)
                serialised.append(time.perf_counter() - started)
                return document, document_xml

            build_seconds, built = _each_timed(build, runs)
            serialise_seconds = statistics.median(serialised[1:])
            build_floor, floor_xml = _each_timed(lambda _run: _document_floor(entity_id=entity_id, now=now), runs)
            xml = built[-1][1]

            # 2. Sign: a signer per document, as each sending asks for the certificate again (a signer signs once);
            # opening the PKCS#12 file happens in the step before and is not timed.
            signers = [(Pkcs12Signer(pki.pkcs12, pki.password), document_xml) for _document, document_xml in built]
            sign_seconds, signed = _each_timed(lambda pair: pair[0].sign(pair[1]), signers)

            def sign_floor(_run) -> None:
                root = etree.fromstring(xml, parser=_parser())
                key.sign(_c14n_digest(root), padding.PKCS1v15(), Prehashed(hashes.SHA256()))
                etree.tostring(root, xml_declaration=True, encoding="UTF-8")

            sign_floor_seconds, _ = _each_timed(sign_floor, runs)
            bare_seconds, _ = _each_timed(lambda _run: key.sign(xml, padding.PKCS1v15(), hashes.SHA256()), runs)

            # 3. Send: every document once, through the client the outbox uses; the first also fetches the token.
            with connection_client(connection_get()) as client:
                send_seconds, answers = _each_timed(client.price_lists_put, signed)
            reader = SandboxReader(sandbox.url)
            body = signed[-1]

            def send_floor(_run) -> int:
                return reader.http.put(
                    "/api/v1/price-lists", content=body, headers={"Content-Type": "text/plain"}
                ).status_code

            send_floor_seconds, floor_statuses = _each_timed(send_floor, runs)
        finally:
            if reader is not None:
                reader.close()
            sandbox.stop()

    # 4. The sandbox's verification of the same signed bytes, here in this process.
    verify_seconds, verified = _each_timed(
        lambda _run: price_lists_verify(body, trusted_roots=[pki.root_pem], now=timezone.now()), runs
    )
    unsigned = etree.fromstring(body, parser=_parser())
    unsigned.remove(unsigned.find(f"{{{XMLDSIG}}}Signature"))
    floor_signature = key.sign(_c14n_digest(unsigned), padding.PKCS1v15(), Prehashed(hashes.SHA256()))

    def verify_floor(_run) -> None:
        root = etree.fromstring(body, parser=_parser())
        root.remove(root.find(f"{{{XMLDSIG}}}Signature"))  # the enveloped-signature transform
        digest = _c14n_digest(root)
        key.public_key().verify(floor_signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))

    verify_floor_seconds, _ = _each_timed(verify_floor, runs)

    services_count = sum(len(group.services) for payer in built[-1][0].payers for group in payer.groups)
    payers_count = len(built[-1][0].payers)
    expected = PAYERS * OVERRIDES
    size_mb = len(body) / 1e6
    accepted = all(answer.services == expected and answer.payers == PAYERS for answer in answers)
    kept_apart = len({answer.document_id for answer in answers}) == len(answers)
    what = f"{payers_count} payers, {services_count:,} services"
    return [
        _step(
            "build",
            build_seconds,
            build_floor,
            met=services_count == expected,
            detail=f"{what}, {len(xml) / 1e6:.2f} MB unsigned, of which the XML {serialise_seconds * 1000:.0f} ms; "
            f"floor: one raw query written with lxml, no checks ({len(floor_xml[-1]) / 1e6:.2f} MB)",
            services=services_count,
            payers=payers_count,
            serialise_seconds=serialise_seconds,
        ),
        _step(
            "sign",
            sign_seconds,
            sign_floor_seconds,
            met=accepted,
            detail=f"RSA-2048, {size_mb:.2f} MB signed; floor: parse, C14N, SHA-256, one RSA signature; a bare RSA "
            f"signature of the bytes (SHA-256 and sign): {bare_seconds * 1000:.1f} ms",
            bare_signature_seconds=bare_seconds,
            document_mb=size_mb,
        ),
        _step(
            "PUT to sandbox",
            send_seconds,
            send_floor_seconds,
            met=accepted and kept_apart and set(floor_statuses) == {415},
            detail=f"{SEND_RUNS} documents of {size_mb:.2f} MB, each verified and its {expected:,} entries kept "
            f"(SQLite); {send_seconds - verify_seconds:.2f} s of it beyond the verification (step 4); floor: the "
            "same body refused 415 by the same endpoint after authentication",
            document_mb=size_mb,
        ),
        _step(
            "sandbox verify",
            verify_seconds,
            verify_floor_seconds,
            met=all(verification.services_count == expected for verification in verified),
            detail=f"osoz_sandbox.signatures.price_lists_verify in this process on the same {size_mb:.2f} MB; floor: "
            "parse, C14N, SHA-256, one RSA verification",
            document_mb=size_mb,
        ),
    ]
