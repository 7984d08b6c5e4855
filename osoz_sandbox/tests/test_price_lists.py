"""PUT /api/v1/price-lists (SBX-6, contract 1.3.0): a signed document is verified against the trusted roots of
OSOZ_SANDBOX_TRUSTED_ROOTS_FILE and kept for the insurer side, once per document Id; an unsigned, altered or
untrusted one, or another clinic's, is refused with `signature-refused` and its reason, and nothing is kept."""

from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone

from devtools.demo_certificate import demo_certificate_write
from devtools.test_pki import pki_build
from osoz_sandbox.models import PriceListEntry, PriceListSubmission
from osoz_sandbox.tests.test_signatures import DOCUMENT, _sign

URL = "/api/v1/price-lists"
OURS = DOCUMENT.replace(b'entity_id="PODMIOT-0042"', b'entity_id="7350012345"')


@pytest.fixture(scope="module")
def pki():
    return pki_build()


@pytest.fixture
def trusted(settings, tmp_path, pki):
    path = tmp_path / "roots.pem"
    path.write_bytes(pki.root_pem)
    settings.OSOZ_SANDBOX_TRUSTED_ROOTS_FILE = str(path)
    return path


def put(api, body: bytes, content_type: str = "application/xml"):
    return api.client.put(URL, body, content_type=content_type)


def refused(response, reason: str) -> dict:
    assert response.status_code == 422, response.content
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert problem["code"] == "signature-refused" and problem["reason"] == reason
    assert not PriceListSubmission.objects.exists() and not PriceListEntry.objects.exists()
    return problem


def test_a_signed_document_is_kept_once_with_its_services(api, trusted, pki, entity):
    signed = _sign(pki, OURS)
    response = put(api, signed)
    assert response.status_code == 200, response.content
    summary = response.json()
    assert summary["document_id"] == "pricelists-7d0c" and summary["payers"] == 2 and summary["services"] == 3
    assert "serialNumber=PNOPL-80051401456" in summary["signer"]
    submission = PriceListSubmission.objects.get()
    assert submission.entity == entity and bytes(submission.signed_xml) == signed
    assert submission.signer_serial_number == "PNOPL-80051401456"
    entries = {(e.payer_osoz_id, e.group_name, e.name, str(e.price)) for e in submission.entries.all()}
    assert ("OSOZ-PZU", "Konsultacje", "Konsultacja lekarza dermatologa", "100.00") in entries
    assert len(entries) == 3
    # The same document again (the outbox's retry after a lost answer): the same summary, nothing kept twice.
    again = put(api, signed)
    assert again.status_code == 200 and again.json() == summary
    assert PriceListSubmission.objects.count() == 1 and PriceListEntry.objects.count() == 3


def test_an_unsigned_document_is_refused(api, trusted):
    problem = refused(put(api, OURS), "unsigned")
    assert "nie jest podpisany" in problem["detail"]


def test_an_altered_document_is_refused(api, trusted, pki):
    signed = _sign(pki, OURS).replace(b'price="100.00"', b'price="10.00"')
    refused(put(api, signed), "altered")


def test_a_document_signed_under_an_untrusted_root_is_refused(api, trusted):
    refused(put(api, _sign(pki_build(seed="forger"), OURS)), "untrusted")


def test_without_trusted_roots_every_document_is_refused(api, settings, tmp_path, pki):
    settings.OSOZ_SANDBOX_TRUSTED_ROOTS_FILE = str(tmp_path / "missing.pem")
    refused(put(api, _sign(pki, OURS)), "untrusted")


def test_another_clinics_document_is_refused(api, trusted, pki):
    problem = refused(put(api, _sign(pki, DOCUMENT)), "wrong-entity")
    assert "PODMIOT-0042" in problem["detail"]


def test_only_xml_is_taken_and_only_with_a_token(api, trusted, pki, client):
    assert put(api, b"{}", "application/json").status_code == 415
    assert client.put(URL, _sign(pki, OURS), content_type="application/xml").status_code == 401
    assert not PriceListSubmission.objects.exists()


def test_the_sandbox_of_the_demo_trusts_the_demo_certificate(api, settings, tmp_path, entity):
    roots = tmp_path / "var" / "osoz_sandbox_trusted_roots.pem"
    certificate = tmp_path / "var" / "demo.p12"
    password = demo_certificate_write(certificate=certificate, roots=roots, now=timezone.now())
    settings.OSOZ_SANDBOX_TRUSTED_ROOTS_FILE = str(roots)
    key, signer, chain = pkcs12.load_key_and_certificates(certificate.read_bytes(), password.encode())
    demo = SimpleNamespace(signer_key=key, signer=signer, intermediate=chain[0], root=chain[1])
    response = put(api, _sign(demo, OURS, at=timezone.now()))
    assert response.status_code == 200, response.content
    assert PriceListSubmission.objects.get().signer_serial_number == "PNOPL-80051401456"
