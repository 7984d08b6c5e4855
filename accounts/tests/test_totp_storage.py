"""The second factor's seed is a secret like the others: encrypted at rest, re-encrypted after a key rotation, and
the code an authenticator app shows from the QR code still logs in."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import TOTPDevice
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory
from conftest import totp_now
from core.services import secrets_reencrypt

pytestmark = pytest.mark.django_db


def stored(device) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key_encrypted FROM accounts_totpdevice WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def test_the_seed_is_not_stored_in_the_clear(alice):
    device = TOTPDeviceFactory(user=alice)
    seed = device.bin_key
    assert len(seed) == 20
    row = stored(device)
    assert seed.hex() not in row.lower() and base64.b32encode(seed).decode() not in row
    # The QR code carries the seed itself, for the app.
    assert parse_qs(urlsplit(device.config_url).query)["secret"] == [base64.b32encode(seed).decode()]


def test_a_key_rotation_reencrypts_the_seed_and_the_code_still_works(client, alice, settings):
    device = TOTPDeviceFactory(user=alice)
    before, seed = stored(device), device.bin_key
    settings.SECRETS_ENCRYPTION_KEYS = ["nowy-klucz-szyfrowania-po-rotacji-2026", *settings.SECRETS_ENCRYPTION_KEYS]
    assert secrets_reencrypt()["accounts.totpdevice.key_encrypted"] == 1
    settings.SECRETS_ENCRYPTION_KEYS = settings.SECRETS_ENCRYPTION_KEYS[:1]  # the old key removed
    device = TOTPDevice.objects.get(pk=device.pk)
    assert stored(device) != before and device.bin_key == seed

    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert client.post(reverse("login_verify"), {"token": totp_now(device)}).url == reverse("home")
