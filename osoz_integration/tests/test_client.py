"""The client against the live sandbox: authentication, the token cache, idempotent POSTs, problem+json errors and
retries. Every request is also checked against the contract (conftest.sent)."""

import socket
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from devtools.sandbox import SandboxServer
from osoz_integration import client as osoz_client
from osoz_integration import interface
from osoz_integration.client import OsozClient, OsozPermanentError, OsozTransientError
from osoz_integration.tests.conftest import SANDBOX_ENTITY_ID, wizard_code

RETURN_URL = "http://testserver/ustawienia/osoz/powrot/"


def _credentials(server) -> interface.ConnectCredentials:
    query = urlsplit(wizard_code(f"{server.url}/provider/connect?return_url={RETURN_URL}&state=state-12345")).query
    code = parse_qs(query)["code"][0]
    with OsozClient(base_url=server.url) as client:
        return client.token_exchange(code=code, return_url=RETURN_URL, idempotency_key=f"test-{code}")


@pytest.fixture
def credentials(osoz_sandbox_server) -> interface.ConnectCredentials:
    return _credentials(osoz_sandbox_server)


def _doctor(version: int, **changes) -> interface.Doctor:
    fields = {
        "version": version,
        "title": "lek.",
        "first_name": "Anna",
        "last_name": "Testowa",
        "specialisations": [interface.Specialisation(code="0715", name="Choroby wewnętrzne")],
        "description": "",
        "callcenter_description": "",
        "access": "patient",
        "cell_ids": [],
        "visible": False,
        **changes,
    }
    return interface.Doctor(**fields)


def _version() -> int:
    return int(timezone.now().timestamp() * 1_000_000)


def test_the_wizard_code_is_exchanged_once_and_a_repeat_replays_the_same_credentials(osoz_sandbox_server, sent):
    back = wizard_code(f"{osoz_sandbox_server.url}/provider/connect?return_url={RETURN_URL}&state=state-12345")
    query = parse_qs(urlsplit(back).query)
    assert query["state"] == ["state-12345"]
    code = query["code"][0]
    with OsozClient(base_url=osoz_sandbox_server.url) as client:
        first = client.token_exchange(code=code, return_url=RETURN_URL, idempotency_key="exchange-1")
        again = client.token_exchange(code=code, return_url=RETURN_URL, idempotency_key="exchange-1")
        assert first == again and first.entity_id == SANDBOX_ENTITY_ID
        assert first.api_base_url == osoz_sandbox_server.url
        # A used code with a new key is refused for good and not retried.
        with pytest.raises(OsozPermanentError) as refused:
            client.token_exchange(code=code, return_url=RETURN_URL, idempotency_key="exchange-2")
    assert refused.value.status in (400, 422) and refused.value.message
    assert [request.headers["Idempotency-Key"] for request in sent] == ["exchange-1", "exchange-1", "exchange-2"]


def test_the_token_is_fetched_once_and_reused_until_it_expires(credentials, osoz_sandbox_server, sent):
    with OsozClient(
        base_url=osoz_sandbox_server.url, client_id=credentials.client_id, client_secret=credentials.client_secret
    ) as client:
        assert client.entity_get().entity_id == SANDBOX_ENTITY_ID
        result = client.doctor_put("client-test", _doctor(_version()))
    assert result.applied
    paths = [request.url.path for request in sent if request.url.path != "/api/v1/connect/token-exchange"]
    assert paths == ["/api/v1/oauth/token", "/api/v1/entity", "/api/v1/doctors/client-test"]
    token_request = next(request for request in sent if request.url.path == "/api/v1/oauth/token")
    assert "Idempotency-Key" not in token_request.headers and token_request.headers["Authorization"].startswith("Basic")


def test_a_revoked_token_is_renewed_once(credentials, osoz_sandbox_server, sent, monkeypatch):
    key = (osoz_sandbox_server.url, credentials.client_id)
    monkeypatch.setitem(osoz_client._tokens, key, ("not-a-token", float("inf")))
    with OsozClient(
        base_url=osoz_sandbox_server.url, client_id=credentials.client_id, client_secret=credentials.client_secret
    ) as client:
        assert client.entity_get().entity_id == SANDBOX_ENTITY_ID
    assert [request.url.path for request in sent][-3:] == ["/api/v1/entity", "/api/v1/oauth/token", "/api/v1/entity"]


def test_wrong_credentials_are_a_permanent_error_with_the_polish_detail(osoz_sandbox_server, sent):
    with (
        OsozClient(base_url=osoz_sandbox_server.url, client_id="nobody", client_secret="wrong") as client,
        pytest.raises(OsozPermanentError) as failure,
    ):
        client.entity_get()
    assert failure.value.status == 401 and failure.value.code == "invalid-client"
    assert failure.value.message and not failure.value.message.startswith("OSOZ odpowiedział kodem")
    assert len(sent) == 1


def test_an_invalid_document_is_refused_for_good_with_the_field_named(credentials, osoz_sandbox_server, monkeypatch):
    # The contract check would stop this body before it leaves, so it is sent unchecked on purpose.
    monkeypatch.setattr(osoz_client, "REQUEST_HOOKS", [])
    location = interface.Location(
        version=_version(),
        osoz_location_id="100245802",
        unit_name="Filia",
        address=interface.Address(street="ul. Zdrowa 1", city="Poznań", postcode="61806"),
        public_key_pem="not a key",
        visible=True,
        cells=[],
    )
    with (
        OsozClient(
            base_url=osoz_sandbox_server.url, client_id=credentials.client_id, client_secret=credentials.client_secret
        ) as client,
        pytest.raises(OsozPermanentError) as failure,
    ):
        client.location_put(9, location)
    assert failure.value.status == 422 and failure.value.code == "validation-error"
    assert "address.postcode" in failure.value.message or "public_key_pem" in failure.value.message


def test_an_unreachable_osoz_is_a_transient_error_after_bounded_retries(sent):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with (
        OsozClient(base_url=dead, client_id="x", client_secret="y", max_attempts=3, backoff=0) as client,
        pytest.raises(OsozTransientError) as failure,
    ):
        client.entity_get()
    assert failure.value.code == "network" and dead in failure.value.message
    assert [request.url.path for request in sent] == ["/api/v1/oauth/token"] * 3


PUTS = 5


def test_rate_limited_calls_wait_for_retry_after_and_then_succeed(tmp_path, sent, real_clock):
    server = SandboxServer(tmp_path, OSOZ_SANDBOX_RATE_LIMIT="3", OSOZ_SANDBOX_RATE_WINDOW_SECONDS="5")
    server.manage("migrate", "--noinput")
    server.manage("sandbox_seed")
    server.start()
    try:
        credentials = _credentials(server)
        with OsozClient(
            base_url=server.url,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            max_attempts=4,
        ) as client:
            # The sandbox counts in fixed 5-second windows of the real clock: start just after one opens, so that the
            # first requests fall into it however the machine is loaded, and the fourth is answered 429.
            time.sleep(5 - time.time() % 5 + 0.05)
            started = timezone.now()
            for version in range(PUTS):
                assert client.doctor_put("rate", _doctor(_version() + version)).version
    finally:
        server.stop()
    puts = [request for request in sent if request.method == "PUT"]
    assert len(puts) > PUTS, "some PUTs were answered 429 and retried"
    assert timezone.now() - started >= timedelta(seconds=1)
