"""SBX-6: the sandbox accepts a price-list document only when its XAdES signature, signed properties and qualified
certificate chain check out, and refuses every other with the reason the clinic's product shows.

The documents are signed here with signxml directly (the sandbox's tests import nothing from the product), the way
the product signs them: enveloped over the root, SigningTime and SigningCertificateV2, the chain in KeyInfo."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree
from signxml import SignatureMethod, methods
from signxml.util import xades_tag
from signxml.xades import XAdESSigner

from devtools.test_pki import (
    FIXED_INSTANT,
    QC_TYPE_ESEAL,
    TEST_PESEL,
    key_usage,
    pki_build,
)
from osoz_sandbox.signatures import MAX_SIGNATURE_AGE, SignatureRefused, price_lists_verify

NOW = FIXED_INSTANT
DOCUMENT = b"""<?xml version='1.0' encoding='UTF-8'?>
<PriceLists xmlns="urn:poradnia:osoz:cenniki:1" Id="pricelists-7d0c" entity_id="PODMIOT-0042" currency="PLN"
 created_at="2026-12-01T09:00:00+01:00"><Payer id="1" osoz_id="OSOZ-PZU" nip="5260250995" name="PZU Zdrowie"><Group
 id="10" name="Konsultacje"><Service id="101" base_service_id="11" name="Konsultacja lekarza dermatologa"
 price="100.00"/><Service id="102" base_service_id="12" name="=HYPERLINK(&quot;x&quot;) &lt;b&gt;" price="80.50"/>
</Group></Payer><Payer id="2" osoz_id="OSOZ-MED" name="Medicover"><Group id="20" name="Badania"><Service id="201"
 base_service_id="21" name="EKG spoczynkowe" price="60.00"/></Group></Payer></PriceLists>"""


class _Signer(XAdESSigner):
    """signxml's XAdES signer with the signing time given and, for the forged case, the signing-certificate digest
    taken from another certificate."""

    def __init__(self, *, signing_time, digest_of=None, **kwargs):
        super().__init__(**kwargs)
        self._signing_time = signing_time
        self._digest_of = digest_of

    def add_signing_time(self, signed_signature_properties, sig_root, signing_settings):
        node = etree.SubElement(signed_signature_properties, xades_tag("SigningTime"), nsmap=self.namespaces)
        node.text = self._signing_time.astimezone(UTC).isoformat(timespec="seconds")

    def add_signing_certificate(self, signed_signature_properties, sig_root, signing_settings):
        if self._digest_of is not None:
            signing_settings.cert_chain = [self._digest_of]
        super().add_signing_certificate(signed_signature_properties, sig_root, signing_settings)


def _sign(pki, xml: bytes = DOCUMENT, *, at: datetime = NOW, chain=None, digest_of=None) -> bytes:
    root = etree.fromstring(xml)
    signer = _Signer(
        signing_time=at,
        digest_of=digest_of,
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
    )
    signed = signer.sign(
        root,
        key=pki.signer_key,
        cert=chain or [pki.signer, pki.intermediate, pki.root],
        reference_uri=f"#{root.get('Id')}",
        always_add_key_value=False,
    )
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def _refusal(xml: bytes, pki, *, now: datetime = NOW, roots=None) -> SignatureRefused:
    with pytest.raises(SignatureRefused) as refused:
        price_lists_verify(xml, trusted_roots=roots or [pki.root_pem], now=now)
    return refused.value


@pytest.fixture(scope="module")
def pki():
    return pki_build()


def test_a_signed_document_is_accepted_and_read_from_the_signed_bytes(pki):
    verified = price_lists_verify(_sign(pki), trusted_roots=[pki.root_pem], now=NOW + timedelta(minutes=3))

    assert verified.document_id == "pricelists-7d0c"
    assert verified.entity_id == "PODMIOT-0042"
    assert verified.created_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert verified.signed_at == NOW
    assert verified.signer_serial_number == f"PNOPL-{TEST_PESEL}"
    assert verified.signer.startswith(f"CN=Jan Kowalski,serialNumber=PNOPL-{TEST_PESEL},")
    assert [(payer.osoz_id, payer.nip, payer.name) for payer in verified.payers] == [
        ("OSOZ-PZU", "5260250995", "PZU Zdrowie"),
        ("OSOZ-MED", "", "Medicover"),
    ]
    assert [
        (service.id, service.base_service_id, service.group_name, service.name, service.price)
        for service in verified.payers[0].services
    ] == [
        ("101", "11", "Konsultacje", "Konsultacja lekarza dermatologa", Decimal("100.00")),
        ("102", "12", "Konsultacje", '=HYPERLINK("x") <b>', Decimal("80.50")),
    ]
    assert verified.services_count == 3


def test_the_trusted_list_may_hold_several_authorities(pki):
    other = pki_build(seed="other-qtsp")

    verified = price_lists_verify(_sign(pki), trusted_roots=[other.root_pem + pki.root_pem], now=NOW)

    assert verified.services_count == 3


def test_a_non_repudiation_only_certificate_is_accepted():
    pki = pki_build(seed="nr", usage=key_usage(non_repudiation=True))

    assert price_lists_verify(_sign(pki), trusted_roots=[pki.root_pem], now=NOW).services_count == 3


def test_an_unsigned_document_is_refused(pki):
    refused = _refusal(DOCUMENT, pki)

    assert refused.reason == "unsigned"
    assert refused.detail == "Dokument cenników nie jest podpisany. Podpisz go podpisem kwalifikowanym."


@pytest.mark.parametrize(
    ("original", "changed"),
    [
        (b'price="100.00"', b'price="10.00"'),
        (b"Konsultacja lekarza dermatologa", b"Konsultacja lekarza dermatologb"),
        (b'entity_id="PODMIOT-0042"', b'entity_id="PODMIOT-0043"'),
        (b'osoz_id="OSOZ-MED"', b'osoz_id="OSOZ-PZU"'),
        (b"</Payer><ds:Signature", b"</Payer><Payer id='3' osoz_id='X' name='X'/><ds:Signature"),
        (b'<Service id="201"', b'<Service id="202"'),
        (b"2026-12-01T08:00:00+00:00", b"2026-12-01T08:00:01+00:00"),  # the signing time in the signed properties
        (b"<ds:SignatureValue>", b"<ds:SignatureValue>AAAA"),
    ],
    ids=["price", "name", "entity", "payer", "added-payer", "service-id", "signing-time", "signature-value"],
)
def test_an_altered_document_is_refused(pki, original, changed):
    signed = _sign(pki)
    assert original in signed

    refused = _refusal(signed.replace(original, changed, 1), pki)

    assert refused.reason == "altered"
    assert refused.detail == (
        "Podpis nie zgadza się z treścią: dokument zmieniono po podpisaniu. Podpisz cenniki i wyślij je ponownie."
    )


def test_an_expired_certificate_is_refused(pki):
    expired = pki_build(seed="expired", valid_from=NOW - timedelta(days=730), valid_to=NOW - timedelta(hours=1))

    refused = _refusal(_sign(expired), expired)

    assert refused.reason == "expired"
    assert refused.detail == (
        "Certyfikat podpisującego wygasł 01.12.2026 08:00, przed złożeniem podpisu. Podpisz cenniki ważnym "
        "certyfikatem kwalifikowanym."
    )


def test_a_certificate_not_yet_valid_at_signing_is_refused():
    early = pki_build(seed="early", valid_from=NOW + timedelta(hours=1), valid_to=NOW + timedelta(days=730))

    refused = _refusal(_sign(early), early)

    assert refused.reason == "expired"
    assert refused.detail.startswith("Certyfikat podpisującego jest ważny dopiero od 01.12.2026 10:00")


def test_a_chain_to_another_root_is_refused(pki):
    forged = pki_build(seed="forger")  # the same names, other keys

    refused = _refusal(_sign(forged, chain=[forged.signer, forged.intermediate]), pki)

    assert refused.reason == "untrusted"
    assert refused.detail == (
        "Certyfikatu podpisującego nie wystawił zaufany kwalifikowany dostawca usług zaufania: nie da się zbudować "
        "ścieżki certyfikacji do żadnego z zaufanych urzędów."
    )


def test_a_root_brought_in_key_info_is_never_trusted(pki):
    forged = pki_build(seed="forger")

    # The forger's root looks like the trusted one (the same name) and comes along in KeyInfo.
    refused = _refusal(_sign(forged, chain=[forged.signer, forged.intermediate, forged.root]), pki)

    assert refused.reason == "untrusted"


def test_a_wrong_certificate_digest_in_the_signed_properties_is_refused(pki):
    other = pki_build(seed="someone-else")

    refused = _refusal(_sign(pki, digest_of=other.signer), pki)

    assert refused.reason == "certificate-digest"
    assert refused.detail == (
        "Skrót certyfikatu w podpisanych właściwościach (SigningCertificate) nie odpowiada certyfikatowi, którym "
        "złożono podpis."
    )


@pytest.mark.parametrize(
    "pki_args",
    [
        {"qualified": False},
        {"usage": key_usage(digital_signature=True)},
        {"qc_type": QC_TYPE_ESEAL},
    ],
    ids=["no-qc-statements", "digital-signature-only", "qc-type-eseal"],
)
def test_a_certificate_that_is_not_qualified_for_signatures_is_refused(pki_args):
    unqualified = pki_build(seed="unqualified", **pki_args)

    refused = _refusal(_sign(unqualified), unqualified)

    assert refused.reason == "not-qualified"
    assert refused.detail.startswith("Cenniki podpisano certyfikatem, który nie jest kwalifikowanym certyfikatem")


def test_a_signing_time_in_the_future_is_refused(pki):
    refused = _refusal(_sign(pki, at=NOW + timedelta(minutes=10)), pki)

    assert refused.reason == "signing-time"
    assert refused.detail == (
        "Czas złożenia podpisu (01.12.2026 09:10) jest w przyszłości. Sprawdź zegar komputera, na którym podpisano "
        "cenniki, i podpisz je ponownie."
    )


def test_a_few_minutes_of_clock_difference_are_forgiven(pki):
    assert price_lists_verify(_sign(pki, at=NOW + timedelta(minutes=4)), trusted_roots=[pki.root_pem], now=NOW)


def test_a_signature_older_than_the_limit_is_refused(pki):
    signed = _sign(pki)

    assert price_lists_verify(signed, trusted_roots=[pki.root_pem], now=NOW + MAX_SIGNATURE_AGE)
    refused = _refusal(signed, pki, now=NOW + MAX_SIGNATURE_AGE + timedelta(seconds=1))

    assert refused.reason == "signing-time"
    assert refused.detail == (
        "Podpis złożono 01.12.2026 09:00, zbyt dawno, by go przyjąć. Podpisz cenniki i wyślij je ponownie."
    )


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"to nie jest XML", "malformed"),
        (b"<Other xmlns='urn:poradnia:osoz:cenniki:1' Id='x'/>", "not-price-lists"),
        (
            b"<!DOCTYPE PriceLists [<!ENTITY a 'aaaaaaaaaa'>]>"
            b"<PriceLists xmlns='urn:poradnia:osoz:cenniki:1' Id='x'>&a;</PriceLists>",
            "malformed",
        ),
    ],
    ids=["not-xml", "other-root", "doctype"],
)
def test_what_is_not_a_price_list_document_is_refused(pki, xml, reason):
    assert _refusal(xml, pki).reason == reason


def test_a_signature_elsewhere_than_under_the_root_is_refused(pki):
    signed = etree.fromstring(_sign(pki))
    signature = signed[-1]
    signed[0].append(signature)  # moved into the first payer

    assert _refusal(etree.tostring(signed), pki).reason == "malformed"


def test_a_signature_over_part_of_the_document_is_refused(pki):
    # A signature whose reference covers one payer only: the rest of the document would be unsigned.
    xml = DOCUMENT.replace(b'<Payer id="1"', b'<Payer Id="payer-1" id="1"')
    root = etree.fromstring(xml)
    signed = _Signer(signing_time=NOW, method=methods.enveloped, signature_algorithm=SignatureMethod.ECDSA_SHA256).sign(
        root,
        key=pki.signer_key,
        cert=[pki.signer, pki.intermediate, pki.root],
        reference_uri="#payer-1",
        always_add_key_value=False,
    )

    refused = _refusal(etree.tostring(signed), pki)

    assert refused.reason == "malformed"
    assert refused.detail == "Podpis nie obejmuje całego dokumentu cenników."


def test_a_refusal_is_a_problem_document_with_its_reason(pki):
    refused = _refusal(DOCUMENT, pki)

    response = refused.response(instance="/api/v1/price-lists")

    assert response.status_code == 422
    assert json.loads(response.content) == {
        "type": "urn:osoz:problem:signature-refused",
        "title": "Signed document refused",
        "status": 422,
        "detail": "Dokument cenników nie jest podpisany. Podpisz go podpisem kwalifikowanym.",
        "code": "signature-refused",
        "instance": "/api/v1/price-lists",
        "reason": "unsigned",
    }
