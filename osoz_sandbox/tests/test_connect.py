"""The configuration wizard (manual §3.1), the one-time code exchange and OAuth2 client credentials."""

import base64
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from osoz_sandbox import services
from osoz_sandbox.tests.conftest import PASSWORD, RETURN_URL

STATE = "state-1234567890"


def _wizard(client: Client, provider_user) -> str:
    """Run the wizard in a browser-like client and return the code from the redirect back to the product."""
    query = {"return_url": RETURN_URL, "state": STATE}
    page = client.get("/provider/connect", query)
    assert page.status_code == 200
    assert "Kreator konfiguracji systemu OSOZ" in page.text
    login = client.post(
        "/provider/logowanie/",
        {"username": provider_user.username, "password": PASSWORD, "next": f"/provider/connect?{urlencode(query)}"},
    )
    assert login.status_code == 302
    confirm_url = client.get(login.url).url
    assert confirm_url.startswith("/provider/connect/potwierdzenie?")
    assert "Przychodnia Testowa" in client.get(confirm_url).text
    refused = client.post(confirm_url, {"confirm_data": "on"})
    assert refused.status_code == 200  # the regulations must be accepted too
    back = client.post(confirm_url, {"confirm_data": "on", "accept_terms": "on"})
    assert back.status_code == 302 and back.url.startswith(RETURN_URL)
    params = parse_qs(urlsplit(back.url).query)
    assert params["state"] == [STATE]
    return params["code"][0]


def _exchange(client: Client, code: str, *, key: str, return_url: str = RETURN_URL):
    return client.post(
        "/api/v1/connect/token-exchange",
        {"code": code, "return_url": return_url},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_wizard_issues_entity_id_and_credentials(client, provider_user):
    code = _wizard(client, provider_user)
    response = _exchange(Client(), code, key="exchange-1")
    assert response.status_code == 200
    body = response.json()
    assert body["entity_id"] == "7350012345"
    assert body["entity_name"] == "Przychodnia Testowa"
    assert body["client_id"] and body["client_secret"] and body["webhook_secret"]
    assert body["api_base_url"] == "http://testserver"


def test_cancelling_the_wizard_returns_access_denied(client, provider_user):
    client.force_login(provider_user)
    response = client.post(
        f"/provider/connect/potwierdzenie?{urlencode({'return_url': RETURN_URL, 'state': STATE})}", {"cancel": "1"}
    )
    params = parse_qs(urlsplit(response.url).query)
    assert params == {"error": ["access_denied"], "state": [STATE]}


def test_wizard_without_return_url_is_refused(client):
    response = client.get("/provider/connect", {"state": STATE})
    assert response.status_code == 400
    assert "Nieprawidłowe wywołanie kreatora" in response.text


def test_retry_with_the_same_key_replays_the_credentials(client, provider_user):
    code = _wizard(client, provider_user)
    first = _exchange(Client(), code, key="exchange-1")
    again = _exchange(Client(), code, key="exchange-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


def test_code_works_once(client, provider_user):
    code = _wizard(client, provider_user)
    assert _exchange(Client(), code, key="exchange-1").status_code == 200
    second = _exchange(Client(), code, key="exchange-2")
    assert second.status_code == 400
    assert second["Content-Type"] == "application/problem+json"
    assert second.json()["code"] == "invalid-grant"
    assert "wykorzystany" in second.json()["detail"]


def test_code_is_bound_to_its_return_url(client, provider_user):
    code = _wizard(client, provider_user)
    response = _exchange(Client(), code, key="exchange-1", return_url="http://evil.example/cb")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid-grant"


def test_same_key_with_another_body_is_refused(client, provider_user):
    code = _wizard(client, provider_user)
    _exchange(Client(), code, key="exchange-1")
    response = _exchange(Client(), code + "x", key="exchange-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency-key-reused"


def test_post_without_idempotency_key_is_refused(db):
    response = Client().post(
        "/api/v1/connect/token-exchange", {"code": "x", "return_url": RETURN_URL}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency-key-missing"


def _token_request(form: dict, **headers):
    return Client().post(
        "/api/v1/oauth/token", urlencode(form), content_type="application/x-www-form-urlencoded", **headers
    )


def test_client_credentials_in_form_or_basic(credentials):
    form = _token_request(
        {
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        }
    )
    assert form.status_code == 200
    assert form.json()["token_type"] == "Bearer"
    assert form.json()["expires_in"] == 3600
    assert form["Cache-Control"] == "no-store"
    basic = base64.b64encode(f"{credentials['client_id']}:{credentials['client_secret']}".encode()).decode()
    by_header = _token_request({"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert by_header.status_code == 200
    entity = Client().get("/api/v1/entity", HTTP_AUTHORIZATION=f"Bearer {by_header.json()['access_token']}")
    assert entity.status_code == 200
    assert entity.json()["entity_id"] == "7350012345"
    assert entity.json()["settings"]["online_registration"] is True


def test_wrong_secret_is_401(credentials):
    response = _token_request(
        {"grant_type": "client_credentials", "client_id": credentials["client_id"], "client_secret": "wrong"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid-client"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_api_needs_a_valid_token(db):
    missing = Client().get("/api/v1/entity")
    assert missing.status_code == 401
    assert missing.json()["detail"].startswith("Brak tokenu")
    wrong = Client().get("/api/v1/entity", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401


def test_running_the_wizard_again_revokes_the_old_credentials(entity, token):
    code = services.connect_code_issue(entity=entity, return_url=RETURN_URL)
    services.connect_token_exchange(code=code, return_url=RETURN_URL, api_base_url="http://testserver")
    assert Client().get("/api/v1/entity", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
