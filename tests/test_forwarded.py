"""Forwarded headers are believed only from the configured reverse proxy (TRUSTED_PROXIES), in one place
(core.middleware): a client that forges X-Forwarded-For gets no fresh login tries and no other address in the audit,
whether it talks to the application directly or to the web server as the demo and the image run it."""

import json
import re
import shlex
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.urls import reverse

from accounts.tests.factories import PASSWORD, TOTPDeviceFactory
from core.models import AuditEvent

ROOT = Path(settings.BASE_DIR)
FORGED = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_X_FORWARDED_PROTO": "https"}


def login_attempt(client, password, **headers):
    return client.post(reverse("login"), {"username": "alice", "password": password}, **headers)


@pytest.mark.django_db
def test_a_forged_address_gets_no_fresh_tries_and_stays_out_of_the_audit(client, alice):
    TOTPDeviceFactory(user=alice)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_attempt(client, "zle-haslo", **FORGED)
    # Another forged address, the right password: still locked, because the client is still 127.0.0.1.
    response = login_attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.23")
    assert response.status_code == 429
    addresses = set(AuditEvent.objects.values_list("ip_address", flat=True))
    assert addresses == {"127.0.0.1"}


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_is_the_nearest_untrusted_hop(client, alice, settings):
    settings.TRUSTED_PROXIES = [ip_network("127.0.0.0/8")]
    TOTPDeviceFactory(user=alice)
    # The client forged the first hop; the proxy appended the address it really saw.
    login_attempt(client, "zle-haslo", HTTP_X_FORWARDED_FOR="198.51.100.23, 203.0.113.7")
    assert AuditEvent.objects.get().ip_address == "203.0.113.7"
    # Garbage from the proxy leaves the proxy's own address.
    login_attempt(client, "zle-haslo", HTTP_X_FORWARDED_FOR="nie-adres")
    assert AuditEvent.objects.latest("pk").ip_address == "127.0.0.1"


def test_the_servers_leave_forwarded_headers_to_the_application():
    """The image and the demo run uvicorn without its own proxy-header trust and without an access log."""
    commands = [shlex.split(line.split(":", 1)[1]) for line in (ROOT / "Procfile.demo").read_text().splitlines()]
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.MULTILINE).group(1)
    commands.append(json.loads(cmd))
    uvicorns = [command for command in commands if "uvicorn" in command[0]]
    assert len(uvicorns) == 3
    for command in uvicorns:
        assert "--no-proxy-headers" in command and "--no-access-log" in command, command
        assert "--forwarded-allow-ips" not in command and "--proxy-headers" not in command, command


def test_a_forged_address_through_the_web_server(asgi_live_server, alice):
    TOTPDeviceFactory(user=alice)
    with httpx.Client(base_url=asgi_live_server.url) as browser:
        browser.get(reverse("login"))
        for _ in range(settings.AXES_FAILURE_LIMIT):
            browser.post(
                reverse("login"),
                data={"username": "alice", "password": "zle-haslo"},
                headers={"X-CSRFToken": browser.cookies["csrftoken"], "X-Forwarded-For": "203.0.113.7"},
            )
        response = browser.post(
            reverse("login"),
            data={"username": "alice", "password": PASSWORD},
            headers={"X-CSRFToken": browser.cookies["csrftoken"], "X-Forwarded-For": "198.51.100.23"},
        )
    assert response.status_code == 429
    assert set(AuditEvent.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
