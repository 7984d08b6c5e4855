"""„Wyślij cenniki do OSOZ” (PAY-6, manual §11.3): who may send, the step Certyfikat with the subject confirmed and
every bad PKCS#12 refused in Polish with nothing kept, and the whole path to the live sandbox — signed, handed to the
outbox, verified and kept by OSOZ, audited with the per-group breakdown, the reminder cleared — with OSOZ down and
back, and OSOZ refusing a certificate it does not trust."""

import html
import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from clinic.services import clinic_entity_id_set
from core.crypto import secret_encrypt
from core.models import AuditEvent, AuditOutcome
from devtools.test_pki import key_usage, pki_build
from osoz_integration import outbox
from osoz_integration.models import (
    Connection,
    OutboxKind,
    OutboxMessage,
    PriceListSending,
    PriceListSendingStatus,
)
from osoz_integration.pricelists_out import pricelists_send
from osoz_integration.selectors import connection_get
from osoz_integration.tests.conftest import SANDBOX_ENTITY_ID, connect
from payers.models import Payer
from payers.signing import Pkcs12Signer, SigningError
from payers.tests.factories import PayerFactory, PayerServiceFactory, ServiceFactory, ServiceGroupFactory
from tests import loop

pytestmark = pytest.mark.django_db
sandbox_template = loop.sandbox_template
sandbox_server = loop.sandbox_server

SEND = reverse("osoz_integration:pricelists_send")
REQUESTED = "Wysłano żądanie aktualizacji cenników do systemu OSOZ."
SUBJECT = "CN=Jan Kowalski, serialNumber=PNOPL-80051401456"


def valid_pki(**changes):
    """A certificate valid around the real now: the sandbox, another process, runs on the real clock."""
    now = timezone.now()
    return pki_build(valid_from=now - timedelta(days=30), valid_to=now + timedelta(days=335), **changes)


@pytest.fixture
def pki():
    """Built in each test, around that test's clock (frozen, or the real one beside the sandbox)."""
    return valid_pki()


@pytest.fixture
def price_lists(db) -> SimpleNamespace:
    """Two OSOZ payers: Wisła with two consultations and one test overridden (one more inactive), Medikor with none;
    a payer typed in by hand, whose list OSOZ never gets."""
    consultations = ServiceGroupFactory(name="Konsultacje", position=1)
    tests = ServiceGroupFactory(name="Badania", position=2)
    derm = ServiceFactory(group=consultations, name="Konsultacja dermatologa", price=Decimal("200.00"))
    card = ServiceFactory(group=consultations, name="Konsultacja kardiologa", price=Decimal("250.00"))
    ecg = ServiceFactory(group=tests, name="EKG spoczynkowe", price=Decimal("60.00"))
    gone = ServiceFactory(group=tests, name="Holter EKG", price=Decimal("300.00"), active=False)
    wisla = PayerFactory(name="Wisła Ubezpieczenia Zdrowotne S.A.", osoz_id="800100", nip="5271003450")
    medikor = PayerFactory(name="Medikor Towarzystwo Ubezpieczeń S.A.", osoz_id="800200", nip="9512008765")
    manual = PayerFactory(name="Pacjenci komercyjni", osoz_id="", imported_from_osoz=False)
    for service in (derm, card, ecg):
        PayerServiceFactory(payer=wisla, service=service, name=service.name, price=service.price)
    PayerServiceFactory(payer=wisla, service=gone, name=gone.name, price=gone.price, active=False)
    PayerServiceFactory(payer=manual, service=derm, name=derm.name, price=derm.price)
    changed = timezone.now() - timedelta(minutes=5)
    Payer.objects.filter(pk__in=[wisla.pk, medikor.pk]).update(list_changed_at=changed)
    return SimpleNamespace(wisla=wisla, medikor=medikor, manual=manual)


def switched_on():
    Connection.objects.filter(pk=connection_get().pk).update(
        client_id="klient-1", client_secret_encrypted=secret_encrypt(b"tajny"), enabled=True
    )
    clinic_entity_id_set(entity_id=SANDBOX_ENTITY_ID)


def certificate_step(client, data: bytes, password: str):
    return client.post(
        SEND, {"certificate": SimpleUploadedFile("podpis.p12", data, "application/x-pkcs12"), "password": password}
    )


def confirm_step(client, page, django_capture_on_commit_callbacks):
    """Post the confirmation form the page holds, as the browser would."""
    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.content.decode())
    fields = {name: html.unescape(value) for name, value in found}
    with django_capture_on_commit_callbacks(execute=False):
        return client.post(SEND, fields)


def audits(action: str) -> list[str]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk").values_list("message", flat=True))


# --- Who may send, and the form ------------------------------------------------------------------------------------


def test_only_administrators_may_send(client_for, alice, bob, carol, dave, price_lists, pki):
    switched_on()
    for user in (bob, carol, dave):
        assert client_for(user).get(SEND).status_code == 403
        assert certificate_step(client_for(user), pki.pkcs12, pki.password).status_code == 403
    assert client_for(alice).get(SEND).status_code == 200
    assert not PriceListSending.objects.exists() and not AuditEvent.objects.filter(action__startswith="osoz_pricelists")


def test_the_certificate_step_shows_the_subject_and_keeps_nothing(client_for, alice, price_lists, pki):
    switched_on()
    page = certificate_step(client_for(alice), pki.pkcs12, pki.password)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Potwierdź podpis" in html and "CN=Jan Kowalski" in html and "serialNumber=PNOPL-80051401456" in html
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]
    assert not PriceListSending.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("make", "password", "error"),
    [
        (lambda pki: b"%PDF-1.7 not a certificate", None, "nie jest plikiem certyfikatu PKCS#12"),
        (lambda pki: pki.signer_pem, None, "nie jest plikiem certyfikatu PKCS#12"),
        (lambda pki: pki.pkcs12, "zle-haslo", "Nieprawidłowe hasło do pliku certyfikatu"),
        (lambda pki: valid_pki(with_private_key=False).pkcs12, None, "nie zawiera klucza prywatnego"),
        (
            lambda pki: (
                pki_build(
                    valid_from=timezone.now() - timedelta(days=400), valid_to=timezone.now() - timedelta(days=1)
                ).pkcs12
            ),
            None,
            "Certyfikat wygasł",
        ),
        (
            lambda pki: valid_pki(usage=key_usage(key_encipherment=True)).pkcs12,
            None,
            "nie służy do podpisywania dokumentów",
        ),
    ],
    ids=["not-pkcs12", "pem", "wrong-password", "no-key", "expired", "encryption-only"],
)
def test_a_bad_certificate_is_refused_in_polish_and_nothing_changes(
    client_for, alice, price_lists, pki, make, password, error
):
    switched_on()
    page = certificate_step(client_for(alice), make(pki), pki.password if password is None else password)
    assert page.status_code == 422
    assert error in page.content.decode()
    assert not PriceListSending.objects.exists() and not OutboxMessage.objects.exists()
    assert Payer.objects.filter(list_sent_at__isnull=False).count() == 0


def test_the_confirmation_must_come_with_the_confirmed_certificate(alice, price_lists, pki):
    switched_on()
    other = valid_pki(seed="inny")
    signer = Pkcs12Signer(other.pkcs12, other.password)
    with pytest.raises(SigningError, match="To nie jest certyfikat, który potwierdzono"):
        pricelists_send(signer=signer, confirmed_subject="CN=Ktoś inny", actor=alice)
    assert not PriceListSending.objects.exists() and not audits("osoz_pricelists_requested")


def test_the_button_is_for_administrators_and_says_why_it_is_disabled(alice, bob, price_lists):
    template = Template("{% load osoz_pricelists %}{% osoz_pricelists_send %}")

    def render(user) -> str:
        request = RequestFactory().get("/")
        request.user = user
        return template.render(Context({"request": request}))

    assert render(bob).strip() == ""
    off = render(alice)
    assert "Wyślij cenniki do OSOZ" in off and "disabled" in off and "Placówka nie jest połączona z OSOZ" in off
    switched_on()
    assert f'href="{SEND}"' in render(alice)


# --- The whole path against the live sandbox ---------------------------------------------------------------------


@pytest.fixture
def linked(client_for, alice, sandbox_server, pki) -> SimpleNamespace:
    """The clinic connected to a fresh sandbox, which trusts the test root of `pki`."""
    client = client_for(alice)
    connect(client, sandbox_server)
    (sandbox_server.folder / "osoz_sandbox_trusted_roots.pem").write_bytes(pki.root_pem)
    return SimpleNamespace(client=client, osoz=loop.Osoz(sandbox_server))


def send(linked, pki, django_capture_on_commit_callbacks):
    page = certificate_step(linked.client, pki.pkcs12, pki.password)
    assert page.status_code == 200, page.content.decode()
    answer = confirm_step(linked.client, page, django_capture_on_commit_callbacks)
    assert answer.status_code == 302 and answer["Location"] == SEND
    return PriceListSending.objects.latest("pk")


def test_signed_lists_reach_osoz_and_are_audited_with_the_breakdown(
    linked, price_lists, pki, sent, django_capture_on_commit_callbacks
):
    assert Payer.objects.get(pk=price_lists.wisla.pk).list_changed_since_sent
    sending = send(linked, pki, django_capture_on_commit_callbacks)
    assert audits("osoz_pricelists_requested") == [REQUESTED]
    assert sending.status == PriceListSendingStatus.PENDING and sending.services_count == 3
    assert set(sending.payer_ids) == {price_lists.wisla.pk, price_lists.medikor.pk}
    assert sending.signer.startswith(SUBJECT)

    loop.drain()
    sending.refresh_from_db()
    assert sending.status == PriceListSendingStatus.ACCEPTED
    assert any(request.url.path == "/api/v1/price-lists" for request in sent)
    assert audits("osoz_pricelists_exported") == [
        "Wyeksportowano 3 usługi do OSOZ: Konsultacje: 2 usługi, Badania: 1 usługa."
    ]
    (kept,) = linked.osoz.rows("SELECT * FROM osoz_sandbox_pricelistsubmission")
    assert kept["document_id"] == sending.document_id and kept["services_count"] == 3 and kept["payers_count"] == 2
    entries = linked.osoz.rows("SELECT payer_osoz_id, name, price FROM osoz_sandbox_pricelistentry ORDER BY name")
    assert [(e["payer_osoz_id"], e["name"]) for e in entries] == [
        ("800100", "EKG spoczynkowe"),
        ("800100", "Konsultacja dermatologa"),
        ("800100", "Konsultacja kardiologa"),
    ]
    for payer in (price_lists.wisla, price_lists.medikor):
        payer.refresh_from_db()
        assert payer.list_sent_at == sending.built_at and not payer.list_changed_since_sent
    assert Payer.objects.get(pk=price_lists.manual.pk).list_sent_at is None
    page = linked.client.get(SEND).content.decode()
    assert "OSOZ przyjął cenniki" in page


def test_osoz_down_then_back_the_outbox_retries(linked, price_lists, pki, django_capture_on_commit_callbacks):
    linked.osoz.faults(down=True)
    sending = send(linked, pki, django_capture_on_commit_callbacks)
    loop.drain()
    sending.refresh_from_db()
    assert sending.status == PriceListSendingStatus.PENDING
    row = OutboxMessage.objects.get(kind=OutboxKind.PRICE_LISTS, object_id=sending.pk)
    assert row.is_pending and row.attempts == 1 and row.last_error and row.next_attempt_at is not None
    (retry,) = AuditEvent.objects.filter(action="osoz_pricelists_failed")
    assert retry.outcome == AuditOutcome.FAILURE and "Ponowienie o" in retry.message
    assert "Ostatnia próba nie powiodła się" in linked.client.get(SEND).content.decode()
    assert Payer.objects.get(pk=price_lists.wisla.pk).list_changed_since_sent

    linked.osoz.faults(down=False)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())  # the backoff has run out
    loop.drain()
    sending.refresh_from_db()
    assert sending.status == PriceListSendingStatus.ACCEPTED
    assert not Payer.objects.get(pk=price_lists.wisla.pk).list_changed_since_sent
    assert len(linked.osoz.rows("SELECT id FROM osoz_sandbox_pricelistsubmission")) == 1


def test_osoz_refusing_the_signature_is_shown_and_audited_and_a_new_send_replaces_it(
    linked, price_lists, pki, django_capture_on_commit_callbacks
):
    forged = valid_pki(seed="spoza-listy-zaufanych")  # a certificate from an authority OSOZ does not trust
    sending = send(linked, forged, django_capture_on_commit_callbacks)
    loop.drain()
    sending.refresh_from_db()
    assert sending.status == PriceListSendingStatus.REFUSED and sending.refusal_code == "signature-refused"
    assert "zaufany kwalifikowany dostawca usług zaufania" in sending.refusal_detail
    (failure,) = AuditEvent.objects.filter(action="osoz_pricelists_failed")
    assert failure.outcome == AuditOutcome.FAILURE and failure.message.startswith("OSOZ odrzucił podpisane cenniki")
    assert "zaufany kwalifikowany dostawca usług zaufania" in linked.client.get(SEND).content.decode()
    assert not linked.osoz.rows("SELECT id FROM osoz_sandbox_pricelistsubmission")
    assert Payer.objects.get(pk=price_lists.wisla.pk).list_sent_at is None

    # Repeated with the qualified certificate: the refused row no longer waits on Stan integracji.
    again = send(linked, pki, django_capture_on_commit_callbacks)
    assert not outbox.outbox_refused()
    loop.drain()
    again.refresh_from_db()
    assert again.status == PriceListSendingStatus.ACCEPTED
    assert audits("osoz_pricelists_requested") == [REQUESTED, REQUESTED]
