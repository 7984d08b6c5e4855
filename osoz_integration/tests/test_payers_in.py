"""„Pobierz płatników z OSOZ” (OSZ-9, manual §11.1): who may ask, the request audited and returning at once with the
fetch queued after the commit, the button on the Płatnicy page, and the import from the live sandbox — cooperation
begun and ended in its Provider Service (§10.3, §10.4), OSOZ down, and the repeat."""

from types import SimpleNamespace

import httpx
import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from core.crypto import secret_encrypt
from core.models import AuditCategory, AuditEvent, AuditOutcome
from devtools.sandbox import ProviderService
from osoz_integration import tasks
from osoz_integration.client import OsozClient, OsozTransientError
from osoz_integration.models import Connection
from osoz_integration.payers_in import payers_fetch
from osoz_integration.selectors import connection_get
from osoz_integration.tests.conftest import connect
from payers.models import Payer
from tests import loop

pytestmark = pytest.mark.django_db
# A fresh sandbox process per test (tests/loop.py): each test begins and ends cooperations of its own.
sandbox_template = loop.sandbox_template
sandbox_server = loop.sandbox_server

FETCH = reverse("osoz_integration:payers_fetch")
PAYERS_PAGE = reverse("payers:payer_list")
REQUESTED = "Wysłano żądanie aktualizacji listy płatników do systemu OSOZ."
# The sandbox's insurer catalogue (osoz_sandbox/migrations/0003_insurers.py).
WISLA = ("800100", "Wisła Ubezpieczenia Zdrowotne S.A.", "5271003450")
MEDIKOR = ("800200", "Medikor Towarzystwo Ubezpieczeń S.A.", "9512008765")
ZDROWIE_PLUS = ("800300", "Zdrowie Plus Towarzystwo Ubezpieczeń Wzajemnych", "1134002199")


@pytest.fixture
def queued(monkeypatch) -> list[dict]:
    """The fetches queued for a worker (the broker is not reached)."""
    calls: list[dict] = []
    monkeypatch.setattr(tasks.payers_fetch, "apply_async", lambda **kwargs: calls.append(kwargs))
    return calls


def switched_on(*, enabled: bool = True) -> Connection:
    Connection.objects.filter(pk=connection_get().pk).update(
        client_id="klient-1", client_secret_encrypted=secret_encrypt(b"tajny"), enabled=enabled
    )
    return connection_get()


def imported() -> set[tuple[str, str, str]]:
    return set(Payer.objects.filter(imported_from_osoz=True).values_list("osoz_id", "name", "nip"))


def audits(action: str) -> list[str]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk").values_list("message", flat=True))


def ask(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(FETCH)


# --- The request ---------------------------------------------------------------------------------------------------


def test_only_administrators_may_ask(client_for, alice, bob, carol, dave, queued):
    switched_on()
    for user in (bob, carol, dave):
        assert client_for(user).post(FETCH).status_code == 403
    assert client_for(alice).get(FETCH).status_code == 405
    assert not queued and not AuditEvent.objects.filter(action="osoz_payers_requested").exists()


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("not connected", "Placówka nie jest połączona z OSOZ"),
        ("switched off", "Integracja z OSOZ jest wyłączona"),
    ],
)
def test_the_request_is_refused_while_the_integration_cannot_fetch(
    client_for, alice, queued, django_capture_on_commit_callbacks, state, reason
):
    if state == "switched off":
        switched_on(enabled=False)
    response = ask(client_for(alice), django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == PAYERS_PAGE
    page = client_for(alice).get(PAYERS_PAGE).content.decode()
    assert "Nie można pobrać płatników z OSOZ." in page and reason in page
    assert not queued and not AuditEvent.objects.filter(action="osoz_payers_requested").exists()


def test_the_request_is_audited_returns_at_once_and_queues_one_fetch(
    client_for, alice, queued, django_capture_on_commit_callbacks
):
    switched_on()
    client = client_for(alice)
    response = ask(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == PAYERS_PAGE
    assert queued == [{"retry": False}]
    event = AuditEvent.objects.get(action="osoz_payers_requested")
    assert event.message == REQUESTED and event.actor == alice
    assert event.category == AuditCategory.INTEGRATION and event.outcome == AuditOutcome.SUCCESS
    assert "Odśwież widok za kilkanaście sekund" in client.get(PAYERS_PAGE).content.decode()
    # A second click while the first fetch waits is audited, and the one queued fetch serves both.
    ask(client, django_capture_on_commit_callbacks)
    assert len(queued) == 1 and audits("osoz_payers_requested") == [REQUESTED, REQUESTED]


def test_the_button_is_for_administrators_and_says_why_it_is_disabled(alice, bob):
    template = Template("{% load osoz_payers %}{% osoz_payers_fetch %}")

    def render(user) -> str:
        request = RequestFactory().get(PAYERS_PAGE)
        request.user = user
        return template.render(Context({"request": request, "csrf_token": "t"}))

    assert render(bob).strip() == ""
    off = render(alice)
    assert "Pobierz płatników z OSOZ" in off and "disabled" in off
    assert "Placówka nie jest połączona z OSOZ" in off
    switched_on(enabled=False)
    assert "Integracja z OSOZ jest wyłączona" in render(alice)
    switched_on()
    on = render(alice)
    assert "disabled" not in on and f'action="{FETCH}"' in on


def test_an_answer_against_the_contract_is_a_failure():
    def osoz(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/oauth/token":
            token = {"access_token": "t", "token_type": "Bearer", "expires_in": 3600, "scope": "osoz.provider"}
            return httpx.Response(200, json=token)
        return httpx.Response(200, json={"payers": [{"payer_id": "800100", "name": "Wisła", "nip": "52-71"}]})

    transport = httpx.MockTransport(osoz)
    client = OsozClient(base_url="http://osoz.test", client_id="k", client_secret="s", transport=transport)
    with client, pytest.raises(OsozTransientError) as raised:
        client.payers_list()
    assert raised.value.code == "bad-response" and "PayerList" in str(raised.value.message)


# --- The import from the live sandbox --------------------------------------------------------------------------------


@pytest.fixture
def linked(client_for, alice, sandbox_server) -> SimpleNamespace:
    """The clinic connected to a fresh sandbox with the integration on, and the sandbox's Provider Service."""
    client = client_for(alice)
    connect(client, sandbox_server)
    with ProviderService(sandbox_server.url) as provider:
        yield SimpleNamespace(client=client, provider=provider, osoz=loop.Osoz(sandbox_server))


def test_payers_cooperating_on_osoz_are_imported_updated_and_removed(
    linked, queued, sent, django_capture_on_commit_callbacks
):
    client, provider = linked.client, linked.provider
    provider.cooperate(WISLA[0], MEDIKOR[0])
    Payer.objects.create(name="Pacjenci komercyjni", nip="")  # typed in by hand: the import leaves it alone

    assert ask(client, django_capture_on_commit_callbacks).status_code == 302
    assert imported() == set() and len(queued) == 1  # the request returned before anything was fetched
    assert payers_fetch()
    assert imported() == {WISLA, MEDIKOR}
    assert any(request.url.path == "/api/v1/payers" for request in sent)
    assert audits("payers_imported") == ["Zaimportowano 2 płatników z OSOZ: dodano 2, zaktualizowano 0, usunięto 0."]
    assert connection_get().last_success_at is not None

    # Medikor's cooperation ends on OSOZ, one with Zdrowie Plus begins: the next fetch follows.
    provider.cooperation_end(MEDIKOR[0])
    provider.cooperate(ZDROWIE_PLUS[0])
    ask(client, django_capture_on_commit_callbacks)
    tasks.payers_fetch()  # as the worker runs it
    assert imported() == {WISLA, ZDROWIE_PLUS}
    assert Payer.objects.filter(imported_from_osoz=False, name="Pacjenci komercyjni").exists()
    assert audits("payers_imported")[-1] == "Zaimportowano 2 płatników z OSOZ: dodano 1, zaktualizowano 0, usunięto 1."
    assert audits("osoz_payers_requested") == [REQUESTED, REQUESTED]


def test_osoz_down_changes_nothing_is_audited_and_the_fetch_can_be_repeated(linked):
    provider, osoz = linked.provider, linked.osoz
    provider.cooperate(WISLA[0])
    assert payers_fetch() and imported() == {WISLA}
    provider.cooperate(MEDIKOR[0])
    osoz.faults(down=True)

    assert not payers_fetch()
    assert imported() == {WISLA}
    (failure,) = AuditEvent.objects.filter(action="osoz_payers_failed")
    assert failure.outcome == AuditOutcome.FAILURE and failure.category == AuditCategory.INTEGRATION
    assert failure.message.startswith("Nie udało się pobrać listy płatników z OSOZ: ")
    assert failure.message.endswith(
        "Lista płatników w Poradni nie zmieniła się; spróbuj ponownie („Pobierz płatników z OSOZ”)."
    )
    assert connection_get().last_error and connection_get().outage_since is not None
    assert len(audits("payers_imported")) == 1

    osoz.faults(down=False)
    assert payers_fetch()
    assert imported() == {WISLA, MEDIKOR}
    assert audits("payers_imported")[-1] == "Zaimportowano 2 płatników z OSOZ: dodano 1, zaktualizowano 0, usunięto 0."
    assert connection_get().outage_since is None


def test_a_fetch_that_finds_the_integration_switched_off_changes_nothing(linked):
    linked.provider.cooperate(WISLA[0])
    Connection.objects.filter(pk=connection_get().pk).update(enabled=False)
    assert not payers_fetch()
    assert imported() == set()
    assert audits("osoz_payers_failed") == [
        "Nie udało się pobrać listy płatników z OSOZ: Integracja z OSOZ jest wyłączona: włącz ją w Ustawienia › "
        "OSOZ/LBK. Lista płatników w Poradni nie zmieniła się; spróbuj ponownie („Pobierz płatników z OSOZ”)."
    ]
