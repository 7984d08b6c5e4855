"""Signing the price lists with the administrator's PKCS#12 file (PAY-6, manual §11.3): what is refused and how, that
the password leaves no trace, and that the signature holds for signxml, for the OSOZ sandbox and — independently —
for Debian's xmlsec1, which checks the signature, the digests and the certificate chain (not the XAdES properties,
which the first two check)."""

import base64
import hashlib
import logging
import os
import shutil
import subprocess
import uuid
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import InvalidCertificate
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

from devtools.test_pki import FIXED_INSTANT, TEST_PESEL, key_usage, pki_build
from osoz_sandbox.signatures import price_lists_verify
from payers.pricelist_xml import (
    NAMESPACE,
    PriceListDocument,
    PriceListGroup,
    PriceListPayer,
    PriceListService,
    pricelist_document_xml,
)
from payers.signing import Pkcs12Signer, SigningError

# The signing instant: the test certificates are valid a year either side of it.
NOW = FIXED_INSTANT
pytestmark = pytest.mark.other_process

XMLSEC1 = "/usr/bin/xmlsec1"
NS = {
    "p": NAMESPACE,
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xades": "http://uri.etsi.org/01903/v1.3.2#",
}


@pytest.fixture(scope="module")
def pki():
    return pki_build()


@pytest.fixture(scope="module")
def document_xml() -> bytes:
    return pricelist_document_xml(
        PriceListDocument(
            id=uuid.UUID("0b6a1f1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"),
            entity_id="PODMIOT-0042",
            created_at=NOW,
            payers=(
                PriceListPayer(
                    id=1,
                    osoz_id="OSOZ-PZU",
                    nip="5260250995",
                    name="PZU Zdrowie",
                    groups=(
                        PriceListGroup(
                            id=10,
                            name="Konsultacje",
                            services=(
                                PriceListService(
                                    id=101,
                                    base_service_id=11,
                                    name="Konsultacja lekarza dermatologa",
                                    price=Decimal("100.00"),
                                ),
                                PriceListService(
                                    id=102, base_service_id=12, name='=HYPERLINK("x") <b>', price=Decimal("80.5")
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        )
    )


@pytest.fixture
def xmlsec1():
    """Debian's xmlsec1. Skips without it, except in CI, where its absence fails the run."""
    if not shutil.which(XMLSEC1):
        if os.environ.get("CI"):
            pytest.fail(
                f"CI must check the signatures with xmlsec1, but {XMLSEC1} is missing (apt-get install xmlsec1)."
            )
        pytest.skip(f"{XMLSEC1} is not installed (apt-get install xmlsec1).")
    return XMLSEC1


def _xmlsec1_verify(xmlsec1, tmp_path, signed: bytes, *, root_pem: bytes, intermediate_pem: bytes, at=NOW):
    (tmp_path / "signed.xml").write_bytes(signed)
    (tmp_path / "root.pem").write_bytes(root_pem)
    (tmp_path / "intermediate.pem").write_bytes(intermediate_pem)
    return subprocess.run(
        [
            xmlsec1,
            "--verify",
            "--trusted-pem",
            str(tmp_path / "root.pem"),
            "--untrusted-pem",
            str(tmp_path / "intermediate.pem"),
            # Which attributes are IDs (the references point at the root and the signed properties by Id).
            "--id-attr:Id",
            f"{NAMESPACE}:PriceLists",
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
            # Only the certificate may supply the key, so the chain is always checked.
            "--enabled-key-data",
            "x509",
            # The certificates are checked at the signing instant, not at the real today (xmlsec1 reads local time).
            "--verification-time",
            at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            str(tmp_path / "signed.xml"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "UTC"},
        timeout=60,
        check=False,
    )


def _sign(pki, document_xml: bytes) -> bytes:
    return Pkcs12Signer(pki.pkcs12, pki.password, now=NOW).sign(document_xml)


def test_the_subject_is_what_the_administrator_confirms(pki):
    signer = Pkcs12Signer(pki.pkcs12, pki.password, now=NOW)

    assert signer.subject() == (
        f"CN=Jan Kowalski, serialNumber=PNOPL-{TEST_PESEL}, SN=Kowalski, GN=Jan, O=Poradnia Testowa sp. z o.o., C=PL"
    )


def test_the_signature_is_xades_bes_enveloped_over_the_whole_document(pki, document_xml):
    signed = etree.fromstring(_sign(pki, document_xml))

    signature = signed.find("ds:Signature", NS)
    references = signature.findall("ds:SignedInfo/ds:Reference", NS)
    assert references[0].get("URI") == f"#{signed.get('Id')}"
    assert [t.get("Algorithm") for t in references[0].findall("ds:Transforms/ds:Transform", NS)] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2006/12/xml-c14n11",
    ]
    assert references[1].get("Type") == "http://uri.etsi.org/01903#SignedProperties"
    assert signature.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm").endswith("#ecdsa-sha256")
    properties = signature.find("ds:Object/xades:QualifyingProperties/xades:SignedProperties", NS)
    assert properties.findtext("xades:SignedSignatureProperties/xades:SigningTime", namespaces=NS) == (
        "2026-12-01T08:00:00+00:00"
    )
    certificate_digests = properties.findall(
        "xades:SignedSignatureProperties/xades:SigningCertificateV2/xades:Cert/xades:CertDigest/ds:DigestValue", NS
    )
    signer_der = pki.signer.public_bytes(serialization.Encoding.DER)
    assert certificate_digests[0].text == base64.b64encode(hashlib.sha256(signer_der).digest()).decode()
    # The full chain in KeyInfo, the signer's certificate first; no KeyValue beside it.
    in_key_info = [
        base64.b64decode(node.text) for node in signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    ]
    assert in_key_info == [
        certificate.public_bytes(serialization.Encoding.DER) for certificate in (pki.signer, pki.intermediate, pki.root)
    ]
    assert signature.find("ds:KeyInfo/ds:KeyValue", NS) is None
    # The document itself is unchanged around the signature.
    assert signed.find("p:Payer/p:Group/p:Service[@id='102']", NS).get("name") == '=HYPERLINK("x") <b>'


def test_the_signed_document_verifies_with_signxml(pki, document_xml, tmp_path):
    (tmp_path / "root.pem").write_bytes(pki.root_pem)

    results = XAdESVerifier().verify(
        _sign(pki, document_xml),
        ca_pem_file=str(tmp_path / "root.pem"),
        expect_config=XAdESSignatureConfiguration(verification_time=NOW),
    )

    assert results[0].signed_xml.tag == f"{{{NAMESPACE}}}PriceLists"
    assert [node.get("price") for node in results[0].signed_xml.iter(f"{{{NAMESPACE}}}Service")] == ["100.00", "80.50"]


def test_the_signed_document_is_accepted_by_the_osoz_sandbox(pki, document_xml):
    verified = price_lists_verify(
        _sign(pki, document_xml), trusted_roots=[pki.root_pem], now=NOW + timedelta(minutes=2)
    )

    assert verified.entity_id == "PODMIOT-0042"
    assert verified.signed_at == NOW
    assert verified.signer_serial_number == f"PNOPL-{TEST_PESEL}"
    assert [(s.id, s.base_service_id, s.price) for s in verified.payers[0].services] == [
        ("101", "11", Decimal("100.00")),
        ("102", "12", Decimal("80.50")),
    ]


def test_xmlsec1_verifies_the_signature_digests_and_chain(pki, document_xml, xmlsec1, tmp_path):
    checked = _xmlsec1_verify(
        xmlsec1, tmp_path, _sign(pki, document_xml), root_pem=pki.root_pem, intermediate_pem=pki.intermediate_pem
    )

    assert checked.returncode == 0, checked.stderr
    assert "SignedInfo References (ok/all): 3/3" in checked.stderr


def test_xmlsec1_refuses_an_altered_document_and_a_chain_to_another_root(pki, document_xml, xmlsec1, tmp_path):
    signed = _sign(pki, document_xml)
    other = pki_build(seed="forger")

    altered = _xmlsec1_verify(
        xmlsec1,
        tmp_path,
        signed.replace(b'price="100.00"', b'price="1.00"'),
        root_pem=pki.root_pem,
        intermediate_pem=pki.intermediate_pem,
    )
    untrusted = _xmlsec1_verify(
        xmlsec1, tmp_path, signed, root_pem=other.root_pem, intermediate_pem=other.intermediate_pem
    )
    expired = _xmlsec1_verify(
        xmlsec1,
        tmp_path,
        signed,
        root_pem=pki.root_pem,
        intermediate_pem=pki.intermediate_pem,
        at=NOW + timedelta(days=400),
    )

    assert altered.returncode != 0
    assert untrusted.returncode != 0
    assert expired.returncode != 0


def test_an_rsa_certificate_signs_rsa_sha256(document_xml, xmlsec1, tmp_path):
    pki = pki_build(seed="rsa", key_type="rsa")

    signed = _sign(pki, document_xml)

    method = etree.fromstring(signed).find("ds:Signature/ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm")
    assert method == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert price_lists_verify(signed, trusted_roots=[pki.root_pem], now=NOW).signed_at == NOW
    checked = _xmlsec1_verify(xmlsec1, tmp_path, signed, root_pem=pki.root_pem, intermediate_pem=pki.intermediate_pem)
    assert checked.returncode == 0, checked.stderr


def test_a_non_repudiation_only_certificate_signs(document_xml, xmlsec1, tmp_path):
    """Many qualified certificates carry nonRepudiation alone. signxml's default chain check asks for
    digitalSignature and refuses them; the sandbox and xmlsec1 accept them."""
    pki = pki_build(seed="nr", usage=key_usage(non_repudiation=True))
    (tmp_path / "root.pem").write_bytes(pki.root_pem)

    signed = _sign(pki, document_xml)

    assert price_lists_verify(signed, trusted_roots=[pki.root_pem], now=NOW).signer_serial_number
    checked = _xmlsec1_verify(xmlsec1, tmp_path, signed, root_pem=pki.root_pem, intermediate_pem=pki.intermediate_pem)
    assert checked.returncode == 0, checked.stderr
    with pytest.raises(InvalidCertificate):
        XAdESVerifier().verify(
            signed,
            ca_pem_file=str(tmp_path / "root.pem"),
            expect_config=XAdESSignatureConfiguration(verification_time=NOW),
        )


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (
            lambda pki: (pki.pkcs12, "zle-haslo"),
            "password",
            "Nieprawidłowe hasło do pliku certyfikatu albo plik jest uszkodzony.",
        ),
        (
            lambda pki: (pki.pkcs12, ""),
            "password",
            "Nieprawidłowe hasło do pliku certyfikatu albo plik jest uszkodzony.",
        ),
        (
            lambda pki: (pki.signer_pem, pki.password),
            "format",
            "Wybrany plik nie jest plikiem certyfikatu PKCS#12 (.p12 lub .pfx).",
        ),
        (
            lambda pki: (pki.signer.public_bytes(serialization.Encoding.DER), pki.password),
            "format",
            "Wybrany plik nie jest plikiem certyfikatu PKCS#12 (.p12 lub .pfx).",
        ),
        (lambda pki: (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", pki.password), "format", None),
        (lambda pki: (b"", pki.password), "format", None),
        (lambda pki: (pki.pkcs12[:40], pki.password), "password", None),
        (
            lambda pki: (pki_build(seed="nokey", with_private_key=False).pkcs12, pki.password),
            "no_key",
            "Plik PKCS#12 nie zawiera klucza prywatnego — wyeksportuj certyfikat razem z kluczem.",
        ),
        (
            lambda pki: (
                pki_build(seed="old", valid_from=NOW - timedelta(days=730), valid_to=NOW - timedelta(days=1)).pkcs12,
                pki.password,
            ),
            "expired",
            "Certyfikat wygasł 30.11.2026 09:00. Podpisz certyfikatem, który jest ważny.",
        ),
        (
            lambda pki: (
                pki_build(seed="new", valid_from=NOW + timedelta(hours=2), valid_to=NOW + timedelta(days=730)).pkcs12,
                pki.password,
            ),
            "not_yet_valid",
            "Certyfikat nie jest jeszcze ważny: będzie ważny od 01.12.2026 11:00.",
        ),
        (
            lambda pki: (pki_build(seed="enc", usage=key_usage(key_encipherment=True)).pkcs12, pki.password),
            "key_usage",
            "Ten certyfikat nie służy do podpisywania dokumentów. Wybierz certyfikat podpisu kwalifikowanego.",
        ),
    ],
    ids=[
        "wrong-password",
        "empty-password",
        "pem-certificate",
        "der-certificate",
        "pdf",
        "empty-file",
        "truncated",
        "no-private-key",
        "expired",
        "not-yet-valid",
        "encryption-only",
    ],
)
def test_a_file_that_cannot_sign_is_refused_in_polish(pki, make, code, message):
    data, password = make(pki)

    with pytest.raises(SigningError) as refused:
        Pkcs12Signer(data, password, now=NOW)

    assert refused.value.code == code
    if message:
        assert str(refused.value.message) == message


def test_the_password_is_never_logged_nor_kept(pki, document_xml, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "Zle-Haslo-" + uuid.uuid4().hex

    signer = Pkcs12Signer(pki.pkcs12, pki.password, now=NOW)
    signed = signer.sign(document_xml)
    with pytest.raises(SigningError) as refused:
        Pkcs12Signer(pki.pkcs12, wrong, now=NOW)

    for secret in (pki.password, wrong):
        assert secret not in caplog.text
        assert secret not in str(refused.value) + repr(refused.value)
        assert secret.encode() not in signed
        assert all(secret not in repr(value) for value in vars(signer).values())
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_the_key_is_used_for_one_signature_only(pki, document_xml):
    signer = Pkcs12Signer(pki.pkcs12, pki.password, now=NOW)
    signer.sign(document_xml)

    with pytest.raises(RuntimeError, match="one signature"):
        signer.sign(document_xml)
